"""What the handlers share, owned by the Application (in `bot_data`) instead of module globals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.conversation import Conversations
from bot.serving import KnowledgeService
from bot.settings import Settings

RUNTIME_KEY = "runtime"


@dataclass(frozen=True, slots=True)
class Runtime:
    """The settings, the knowledge being served and the recent conversations."""

    settings: Settings
    service: KnowledgeService
    conversations: Conversations


def runtime_of(bot_data: Mapping[Any, Any]) -> Runtime:
    """The `Runtime` stored by `build_application`, from `context.bot_data` or `app.bot_data`."""
    runtime = bot_data.get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("no Runtime in bot_data: build the Application with build_application()")
    return runtime
