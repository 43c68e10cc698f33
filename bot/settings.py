"""The bot's settings: `BOT_*` environment variables, a `.env` file, and the checked-in defaults
in `config/defaults.env`. Built once in `main()` and passed down.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import knowledge
from bot.settings_errors import ENVIRONMENT, ErrorReport

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.env"
ENV_FILE = ".env"  # in the folder the bot is started from


class Settings(BaseSettings):
    """Every setting, with its `BOT_` variable. Later sources win: defaults, `.env`, environment."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_file=(DEFAULTS_FILE, ENV_FILE),
        env_file_encoding="utf-8",
        extra="ignore",  # a host's stray variables (PORT=, DYNO=) must not stop start-up
        validate_default=True,
    )

    token: SecretStr | None = Field(default=None, description="the bot token from @BotFather")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset(),
                                                           examples=["123456789,987654321"])
    knowledge_dir: Path = Path("knowledge")
    cache_dir: Path | None = Path(".cache/index")
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = Field(default=None, examples=["https://bot.example.com/telegram"])
    webhook_secret: SecretStr | None = None
    # Largest webhook POST read: Telegram's updates are kilobytes, so anything near this is not one.
    webhook_max_bytes: int = Field(default=1_048_576, ge=65_536, le=104_857_600)
    listen: str = "0.0.0.0"
    # In webhook mode, the port also answers GET on this path with 200 while the bot serves
    # (blank: no health check).
    health_path: str | None = "/healthz"
    port: int = Field(default=8443, ge=1, le=65535,
                      validation_alias=AliasChoices("BOT_PORT", "PORT"))
    log_level: str = "INFO"
    rate_limit: bool = True
    context_ttl: float = Field(default=900.0, gt=0)
    # What a knowledge folder may hold, checked before any file is read (the defaults' reasons
    # are in bot/knowledge.py).
    max_file_mb: float = Field(default=knowledge.MAX_FILE_MB, gt=0)
    max_knowledge_mb: float = Field(default=knowledge.MAX_KNOWLEDGE_MB, gt=0)

    k1: float = Field(default=1.5, gt=0)
    b: float = Field(default=0.75, ge=0, le=1)
    # Extra floors over the fitted answer model (config/weights.json): blank or 0 leaves it to
    # the model.
    min_coverage: float = Field(default=0.0, ge=0, le=1)
    related_ratio: float | None = Field(default=None, ge=0, le=1)
    max_citations: int = Field(default=3, ge=1, le=10)
    max_quote_chars: int = Field(default=600, ge=80, le=3000)

    # Admins' documents, sent as files or links (bot/library): the largest one (blank: the
    # per-file limit BOT_MAX_FILE_MB; Telegram serves bots files of at most 20 MB), how long a
    # download from a link may take, and the private hosts (names, addresses or networks such
    # as 10.0.0.0/8) a link may lead to, which are refused otherwise.
    upload_max_mb: float | None = Field(default=None, gt=0, examples=["10"])
    fetch_timeout: float = Field(default=20.0, gt=0, le=600)
    fetch_allow_hosts: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), examples=["intranet.example.com,10.0.0.0/8"])
    # Reload when the knowledge folder changes on disk, once the writes have been quiet for
    # this many seconds (an editor's save is a burst of writes).
    watch_knowledge: bool = True
    watch_debounce: float = Field(default=1.0, gt=0, le=60)

    # Seconds a rebuild of the index in its separate process may take before it is stopped
    # and the reload fails (the previous knowledge base keeps serving).
    build_timeout: float = Field(default=300.0, gt=0)

    # Where the Telegram adapter keeps its update journal (blank: no journal, so a crash can lose
    # or repeat answers).
    state_dir: Path | None = Path(".state")
    # Days a question, its outcome and its 👍/👎 stay in the question log in BOT_STATE_DIR
    # before they are deleted (0: no question is stored, and answers carry no buttons).
    retention_days: int = Field(default=30, ge=0, le=3650)
    # Where answers carry 👍/👎 buttons: private chats only (in groups a keyboard under every
    # answer is clutter everyone sees), every chat, or none.
    feedback: Literal["private", "everywhere", "off"] = "private"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        if isinstance(value, int):
            return frozenset({value})
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").replace(" ", ",").split(",")]
            ids = set()
            for part in parts:
                if not part:
                    continue
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"{part!r} is not a Telegram user id: ids are numbers, "
                                     "separated by commas")
                ids.add(int(part))
            return frozenset(ids)
        return value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        hosts = set()
        for part in value.replace(";", ",").replace(" ", ",").split(","):
            host = part.strip().casefold()
            if not host:
                continue
            if not _is_host(host):
                raise ValueError(f"{part.strip()!r} is not a host name, address or network: list "
                                 "them separated by commas")
            hosts.add(host)
        return frozenset(hosts)

    @field_validator("token", "webhook_url", "webhook_secret", "state_dir", "cache_dir",
                     "health_path", "related_ratio", "upload_max_mb", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `BOT_TOKEN=` in a copied example.env means "not set", not an empty token.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("health_path")
    @classmethod
    def _url_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and (not value.startswith("/") or value == "/"
                                  or any(ch.isspace() or ch in "?#" for ch in value)):
            raise ValueError("must be a URL path such as /healthz, or blank for no health check")
        # A field validator rather than a model one, so that the error names this variable.
        webhook = info.data.get("webhook_url")
        if webhook and value and value.strip("/") == urlsplit(webhook).path.strip("/"):
            raise ValueError("must differ from the path of BOT_WEBHOOK_URL (or be blank for "
                             "no health check)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    def knowledge_path(self) -> Path:
        path = self.knowledge_dir
        return path if path.is_absolute() or path.exists() else PROJECT_ROOT / path

    def max_upload_bytes(self) -> int:
        """The largest document an admin may add: BOT_UPLOAD_MAX_MB, else BOT_MAX_FILE_MB."""
        megabytes = self.max_file_mb if self.upload_max_mb is None else self.upload_max_mb
        return int(megabytes * knowledge.MB)


def _is_host(text: str) -> bool:
    """A host name, an IP address or a network (10.0.0.0/8)."""
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        pass
    labels = text.rstrip(".").split(".")
    return all(0 < len(part) <= 63 and part.replace("-", "").isalnum()
               and not part.startswith("-") for part in labels)


class SettingsError(Exception):
    """Settings that cannot start the bot; the message has one line per bad variable."""


SECRET_FIELDS = frozenset({"token", "webhook_secret"})


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings`, turning pydantic's error into one line per bad variable: its name and
    value, what is wrong, and an example of a good value."""
    files = _env_files(overrides)
    for path in files:
        _check_readable(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        report = ErrorReport(Settings, env_names, _sources(files), set_in_code=overrides.keys(),
                             env_file=ENV_FILE, secrets=SECRET_FIELDS)
        raise SettingsError(report.message(exc)) from None


def stray_variables(**overrides: Any) -> list[str]:
    """`BOT_*` variables in the environment or .env that no setting reads (a typo such as
    BOT_TOKN is otherwise ignored without a word), each with the setting it may have meant."""
    known = {name for field in Settings.model_fields for name in env_names(field)}
    strays = []
    for source, values in _sources(_env_files(overrides)).items():
        if source == str(DEFAULTS_FILE):
            continue
        for name in sorted(values):
            if name.startswith("BOT_") and name not in known:
                guess = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {guess[0]}?" if guess else ""
                strays.append(f"{name} (in {source}) is not a setting{hint}")
    return strays


def env_names(field: str) -> list[str]:
    """The variables that set `field`, in the order pydantic-settings prefers them."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice).upper() for choice in alias.choices]
    return ["BOT_" + field.upper()]


def _env_files(overrides: dict[str, Any]) -> list[Path]:
    configured = overrides.get("_env_file", Settings.model_config.get("env_file"))
    if configured is None:
        return []
    names = [configured] if isinstance(configured, str | Path) else list(configured)
    return [Path(name) for name in names if Path(name).is_file()]


def _check_readable(path: Path) -> None:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"Cannot read the settings file {path}: it is not UTF-8 text "
                            f"(byte {exc.start}). Save it as UTF-8.") from None
    except OSError as exc:
        raise SettingsError(f"Cannot read the settings file {path}: {exc.strerror}. Make it "
                            "readable by the user the bot runs as.") from None


def _sources(files: list[Path]) -> dict[str, dict[str, str]]:
    """Each place a variable can come from, the one that wins first: name -> value."""
    sources = {ENVIRONMENT: {k.upper(): v for k, v in os.environ.items()}}
    for path in reversed(files):  # a later file wins, as in pydantic-settings
        values = dotenv_values(path, encoding="utf-8")
        sources[str(path)] = {k.upper(): v or "" for k, v in values.items()}
    return sources
