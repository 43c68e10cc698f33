"""Settings from BOT_* variables and .env files: lists parse, bad values are all reported by
variable name in one message, and the token never shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import strip_bot_env

from bot.settings import Settings, SettingsError, load_settings

TOKEN = "123456:SECRET-never-shown"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    strip_bot_env(monkeypatch)
    monkeypatch.chdir(tmp_path)  # a developer's .env must not leak in


def error_of(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return str(caught.value)


def listed_names(message: str) -> set[str]:
    return set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", message, re.MULTILINE))


def test_defaults_load() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.admin_ids == frozenset()
    assert 1 <= settings.port <= 65535


@pytest.mark.parametrize(
    ("value", "ids"),
    [("123", {123}), ("123,456", {123, 456}), (" 123 , 456 ", {123, 456}), ("", set())],
)
def test_admin_ids_parse(monkeypatch: pytest.MonkeyPatch, value: str, ids: set[int]) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", value)
    assert load_settings().admin_ids == frozenset(ids)


def test_every_bad_field_is_listed_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, BOT_ADMIN_IDS="abc", BOT_B="2", BOT_MAX_CITATIONS="0",
                       BOT_TOKEN=TOKEN)
    assert listed_names(message) == {"BOT_ADMIN_IDS", "BOT_B", "BOT_MAX_CITATIONS"}
    assert "abc" in message


def test_a_bad_port_is_listed_as_bot_port(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, BOT_ADMIN_IDS="abc", BOT_PORT="0", BOT_B="2")
    assert listed_names(message) == {"BOT_ADMIN_IDS", "BOT_PORT", "BOT_B"}


def test_a_bad_port_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "PORT" in error_of(monkeypatch, BOT_PORT="0")


def test_the_token_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, BOT_TOKEN=TOKEN, BOT_WEBHOOK_SECRET="hush-hush",
                       BOT_B="2")
    assert "SECRET" not in message
    assert "hush" not in message
    monkeypatch.setenv("BOT_B", "0.5")
    settings = load_settings()
    assert settings.token is not None
    assert settings.token.get_secret_value() == TOKEN
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "SECRET" not in shown
        assert "hush" not in shown


def test_a_stray_port_is_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    assert load_settings().port == 8080


def test_bot_port_wins_over_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("BOT_PORT", "9090")
    assert load_settings().port == 9090


def test_unknown_variables_do_not_break_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_NOT_A_SETTING", "1")
    monkeypatch.setenv("DYNO", "web.1")
    assert isinstance(load_settings(), Settings)


def test_dotenv_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "BOT_MAX_CITATIONS=5\nBOT_K1=1.2\nPORT=9000\nDYNO=web.1\nBOT_UNKNOWN=x\n")
    monkeypatch.setenv("BOT_MAX_CITATIONS", "2")
    settings = load_settings()
    assert (settings.max_citations, settings.k1, settings.port) == (2, 1.2, 9000)


def test_blank_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "  ")
    assert load_settings().token is None


def test_overrides_in_the_initialiser_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MAX_QUOTE_CHARS", "300")
    assert load_settings(max_quote_chars=900).max_quote_chars == 900
    with pytest.raises(SettingsError, match="BOT_MAX_QUOTE_CHARS"):
        load_settings(max_quote_chars=10)


@pytest.mark.parametrize("value", ["healthz", "/", "/health check", "/healthz?x=1"])
def test_a_health_path_must_be_a_url_path(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert listed_names(error_of(monkeypatch, BOT_HEALTH_PATH=value)) == {"BOT_HEALTH_PATH"}


def test_the_health_check_cannot_take_the_webhook_s_path(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, BOT_WEBHOOK_URL="https://bot.example.com/hook",
                       BOT_HEALTH_PATH="/hook/")
    assert "BOT_HEALTH_PATH /hook/ is the webhook's own path" in message
    monkeypatch.setenv("BOT_HEALTH_PATH", "")
    assert load_settings().health_path is None
    monkeypatch.delenv("BOT_HEALTH_PATH")
    assert load_settings().health_path == "/healthz"
