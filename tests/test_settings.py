"""Settings from BOT_* variables and .env files: lists parse, bad values are all reported in one
message, a line per variable with what is wrong and a good value, and the token never shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import strip_bot_env

from bot.settings import (
    DEFAULTS_FILE,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    env_names,
    load_settings,
    stray_variables,
)

TOKEN = "123456:SECRET-never-shown"
EXAMPLE_FILE = PROJECT_ROOT / "config" / "example.env"


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
    return set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", message, re.MULTILINE))


def line_of(message: str, name: str) -> str:
    [line] = [line for line in message.splitlines() if line.strip().startswith(name + "=")]
    return line


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
    assert listed_names(message) == {"BOT_HEALTH_PATH"}
    assert "must differ from the path of BOT_WEBHOOK_URL" in line_of(message, "BOT_HEALTH_PATH")
    monkeypatch.setenv("BOT_HEALTH_PATH", "")
    assert load_settings().health_path is None
    monkeypatch.delenv("BOT_HEALTH_PATH")
    assert load_settings().health_path == "/healthz"


BAD_VALUES = {
    "BOT_ADMIN_IDS": "12,abc", "BOT_B": "2", "BOT_K1": "fast", "BOT_MAX_CITATIONS": "3.5",
    "BOT_RATE_LIMIT": "maybe", "BOT_CONTEXT_TTL": "0", "BOT_LOG_LEVEL": "loud",
    "BOT_PORT": "99999", "BOT_HEALTH_PATH": "healthz", "BOT_MAX_QUOTE_CHARS": "10",
}


def test_errors_read_as_sentences_without_pydantic_s_wording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = error_of(monkeypatch, **BAD_VALUES)
    assert listed_names(message) == set(BAD_VALUES)
    for pydantic_words in ("Value error", "Input should", "errors.pydantic.dev", "validation"):
        assert pydantic_words not in message
    assert len(message.splitlines()) == len(BAD_VALUES) + 2  # a heading, a line each, the fix


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_each_line_shows_the_value_and_an_example_that_works(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    line = line_of(error_of(monkeypatch, **{name: BAD_VALUES[name]}), name)
    assert line.strip().startswith(f"{name}={BAD_VALUES[name]}: ")
    example = re.search(rf"\(for example {name}=(\S+)\)$", line)
    assert example is not None, line
    monkeypatch.setenv(name, example.group(1))
    load_settings()  # the example is a good value


def test_the_numbers_a_value_must_lie_between_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, BOT_B="2", BOT_CONTEXT_TTL="0", BOT_MAX_CITATIONS="0")
    assert "must be between 0 and 1" in line_of(message, "BOT_B")
    assert "must be more than 0" in line_of(message, "BOT_CONTEXT_TTL")
    assert "must be between 1 and 10" in line_of(message, "BOT_MAX_CITATIONS")


def test_the_fix_is_in_dotenv_never_the_checked_in_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("BOT_B=2\n")
    message = error_of(monkeypatch)
    assert listed_names(message) == {"BOT_B"}
    assert "Fix them in .env" in message
    assert "defaults.env" not in message
    assert "set in the environment" not in message


def test_a_variable_set_in_the_environment_is_said_to_be(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("BOT_K1=0\n")
    message = error_of(monkeypatch, BOT_B="2")
    assert listed_names(message) == {"BOT_B", "BOT_K1"}
    fix = message.splitlines()[-1]
    assert "BOT_B is set in the environment" in fix
    assert "BOT_K1" not in fix


def test_a_bad_port_names_the_variable_that_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert listed_names(error_of(monkeypatch, PORT="0")) == {"PORT"}
    monkeypatch.delenv("PORT")
    assert listed_names(error_of(monkeypatch, BOT_PORT="http")) == {"BOT_PORT"}


def test_a_settings_file_that_is_not_utf8_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"BOT_ADMIN_IDS=1\nBOT_LOG_LEVEL=D\xe9BUG\n")
    message = error_of(monkeypatch)
    assert message.startswith("Cannot read the settings file .env: it is not UTF-8")


def test_a_misspelt_variable_is_pointed_out_with_the_likely_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("BOT_TOKN=123:abc\nBOT_ADMIN_IDS=1\nDYNO=web.1\n")
    monkeypatch.setenv("BOT_MAX_CITATION", "4")
    strays = stray_variables()
    assert strays == ["BOT_MAX_CITATION (in the environment) is not a setting; did you mean "
                      "BOT_MAX_CITATIONS?",
                      "BOT_TOKN (in .env) is not a setting; did you mean BOT_TOKEN?"]
    assert "123:abc" not in " ".join(strays)


def test_copying_example_env_changes_no_setting_until_it_is_filled_in() -> None:
    defaults = load_settings(_env_file=DEFAULTS_FILE)
    copied = load_settings(_env_file=(DEFAULTS_FILE, EXAMPLE_FILE))
    assert copied == defaults


def test_every_setting_is_described_in_example_env_or_the_defaults() -> None:
    described = EXAMPLE_FILE.read_text() + DEFAULTS_FILE.read_text()
    for field in Settings.model_fields:
        assert env_names(field)[0] + "=" in described


def test_settings_for_admins_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.upload_max_mb is None
    assert settings.max_upload_bytes() == 10 * 1024 * 1024  # BOT_MAX_FILE_MB's
    assert (settings.watch_knowledge, settings.watch_debounce) == (True, 1.0)
    assert settings.fetch_allow_hosts == frozenset()
    monkeypatch.setenv("BOT_MAX_FILE_MB", "4")
    assert load_settings().max_upload_bytes() == 4 * 1024 * 1024
    monkeypatch.setenv("BOT_UPLOAD_MAX_MB", "2.5")
    monkeypatch.setenv("BOT_FETCH_ALLOW_HOSTS", " Intranet.Example.com, 10.0.0.0/8;fd00::1 ")
    monkeypatch.setenv("BOT_WATCH_KNOWLEDGE", "false")
    settings = load_settings()
    assert settings.max_upload_bytes() == int(2.5 * 1024 * 1024)
    assert settings.fetch_allow_hosts == {"intranet.example.com", "10.0.0.0/8", "fd00::1"}
    assert settings.watch_knowledge is False


def test_bad_settings_for_admins_documents_say_what_to_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = error_of(monkeypatch, BOT_FETCH_ALLOW_HOSTS="intranet.example.com,http://x/",
                       BOT_UPLOAD_MAX_MB="-1", BOT_WATCH_DEBOUNCE="0")
    assert listed_names(message) == {"BOT_FETCH_ALLOW_HOSTS", "BOT_UPLOAD_MAX_MB",
                                     "BOT_WATCH_DEBOUNCE"}
    assert "'http://x/' is not a host name, address or network" in message
    assert "BOT_FETCH_ALLOW_HOSTS=intranet.example.com,10.0.0.0/8" in message
    assert "BOT_UPLOAD_MAX_MB=10" in message
