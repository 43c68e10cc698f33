"""Planned and random failures for the fake Bot API: errors, stalls and dropped connections."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# What Telegram (or the nginx in front of it) answers for each injected status.
_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# "drop" closes the connection before acting on the request, "drop-processed" after.
FAULT_KINDS = ("429", "500", "502", "400", "drop", "drop-processed", "stall")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. kind is "error", "stall" or "drop"."""

    kind: str
    error_code: int = 0
    description: str = ""
    retry_after: int | None = None
    seconds: float = 0.0
    processed: bool = False  # for "drop": did Telegram act on the request before the line broke?

    def body(self) -> dict[str, Any]:
        """The Telegram-shaped error answer of an "error" fault."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def error_fault(
    error_code: int, description: str | None = None, retry_after: int | None = None
) -> Fault:
    """An error answer; a 429 always carries parameters.retry_after, as Telegram's do."""
    if error_code == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    description = description or _DESCRIPTIONS.get(error_code, f"Error {error_code}")
    return Fault("error", error_code, description, retry_after)


def _fault_of_kind(kind: str, stall_seconds: float) -> Fault:
    if kind in ("drop", "drop-processed"):
        return Fault("drop", processed=kind == "drop-processed")
    if kind == "stall":
        return Fault("stall", seconds=stall_seconds)
    return error_fault(int(kind))


@dataclass
class _Rate:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    stall_seconds: float


class FaultPlan:
    """Faults queued per method (None = any method), consumed one per matching request."""

    def __init__(self) -> None:
        self._queued: list[tuple[str | None, Fault]] = []
        self._rates: dict[str | None, _Rate] = {}

    def add(self, method: str | None, fault: Fault, times: int = 1) -> None:
        key = method.lower() if method else None
        self._queued.extend((key, fault) for _ in range(times))

    def set_rate(
        self,
        method: str | None,
        rate: float,
        kinds: Iterable[str] = ("429", "500", "502", "drop"),
        seed: int | None = None,
        stall_seconds: float = 1.0,
    ) -> None:
        key = method.lower() if method else None
        kinds = tuple(kinds)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use some of {FAULT_KINDS}")
        if rate <= 0:
            self._rates.pop(key, None)
        else:
            self._rates[key] = _Rate(rate, kinds, random.Random(seed), stall_seconds)

    def clear(self) -> None:
        self._queued.clear()
        self._rates.clear()

    def take(self, method: str) -> Fault | None:
        """The fault this request of `method` suffers, if any: queued ones first, then random."""
        key = method.lower()
        for index, (wanted, fault) in enumerate(self._queued):
            if wanted in (None, key):
                del self._queued[index]
                return fault
        rate = self._rates.get(key) or self._rates.get(None)
        if rate is not None and rate.rng.random() < rate.rate:
            return _fault_of_kind(rate.rng.choice(rate.kinds), rate.stall_seconds)
        return None
