"""The Telegram adapter: python-telegram-bot on top of the Telegram-free core.

`build_application(settings, service)` gives a ready `Application` (tests drive it against a fake
Bot API); `run(settings)` loads the knowledge base and serves it by long polling or a webhook.
"""

from bot.telegram_bot.app import build_application, run

__all__ = ["build_application", "run"]
