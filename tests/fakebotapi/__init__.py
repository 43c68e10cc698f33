"""Parts of the fake Telegram Bot API in tests/fake_bot_api.py: HTML parsing and fault plans."""
