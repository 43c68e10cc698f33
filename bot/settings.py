"""The bot's settings: `BOT_*` environment variables, a `.env` file, and the checked-in defaults
in `config/defaults.env`. Built once in `main()` and passed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.env"


class Settings(BaseSettings):
    """Every setting, with its `BOT_` variable. Later sources win: defaults, `.env`, environment."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_file=(DEFAULTS_FILE, ".env"),
        env_file_encoding="utf-8",
        extra="ignore",  # a host's stray variables (PORT=, DYNO=) must not stop start-up
        validate_default=True,
    )

    token: SecretStr | None = Field(default=None, description="the bot token from @BotFather")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    knowledge_dir: Path = Path("knowledge")
    cache_dir: Path | None = Path(".cache/index")
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0"
    # In webhook mode, the port also answers GET on this path with 200 while the bot serves
    # (blank: no health check).
    health_path: str | None = "/healthz"
    port: int = Field(default=8443, ge=1, le=65535,
                      validation_alias=AliasChoices("BOT_PORT", "PORT"))
    log_level: str = "INFO"
    rate_limit: bool = True
    context_ttl: float = Field(default=900.0, gt=0)

    k1: float = Field(default=1.5, gt=0)
    b: float = Field(default=0.75, ge=0, le=1)
    # Extra floors over the fitted answer model (config/weights.json): blank or 0 leaves it to
    # the model.
    min_coverage: float = Field(default=0.0, ge=0, le=1)
    related_ratio: float | None = Field(default=None, ge=0, le=1)
    max_citations: int = Field(default=3, ge=1, le=10)
    max_quote_chars: int = Field(default=600, ge=80, le=3000)

    # Where the Telegram adapter keeps its update journal (blank: no journal, so a crash can lose
    # or repeat answers).
    state_dir: Path | None = Path(".state")

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
                    raise ValueError(f"{part!r} is not a Telegram user id; give numbers "
                                     "separated by commas, e.g. 123,456")
                ids.add(int(part))
            return frozenset(ids)
        return value

    @field_validator("token", "webhook_url", "webhook_secret", "state_dir", "cache_dir",
                     "health_path", "related_ratio", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `BOT_TOKEN=` in a copied example.env means "not set", not an empty token.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("health_path")
    @classmethod
    def _url_path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or value == "/"
                                  or any(ch.isspace() or ch in "?#" for ch in value)):
            raise ValueError("expected a URL path such as /healthz (or blank for none)")
        return value

    @model_validator(mode="after")
    def _health_apart_from_webhook(self) -> Settings:
        webhook = urlsplit(self.webhook_url or "").path.strip("/")
        if self.webhook_url and self.health_path and self.health_path.strip("/") == webhook:
            raise ValueError(f"BOT_HEALTH_PATH {self.health_path} is the webhook's own path: "
                             "give it another path, or leave it blank for no health check")
        return self

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    def knowledge_path(self) -> Path:
        path = self.knowledge_dir
        return path if path.is_absolute() or path.exists() else PROJECT_ROOT / path


class SettingsError(Exception):
    """Settings that cannot start the bot; the message lists every bad field."""


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings`, turning pydantic's error into one message that names each variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = ["Invalid settings:"]
        for error in exc.errors():
            if not error["loc"]:  # a rule between fields: its message names them
                lines.append("  " + error["msg"].removeprefix("Value error, "))
                continue
            field = str(error["loc"][0]) if error["loc"] else "?"
            name = field.upper() if field.upper().startswith("BOT_") else "BOT_" + field.upper()
            lines.append(f"  {name}: {error['msg']} (got {_shown(field, error.get('input'))})")
        lines.append("Fix them in the environment, .env or config/defaults.env.")
        raise SettingsError("\n".join(lines)) from None


def _shown(field: str, value: Any) -> str:
    if field in {"token", "webhook_secret"}:
        return "a hidden value"
    return repr(value)
