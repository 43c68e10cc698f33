"""What a person reads when settings are bad: pydantic's validation error as one line per
variable, with its value, what is wrong and an example of a good value, and where to fix it.

    Invalid settings:
      BOT_B=2: must be between 0 and 1 (for example BOT_B=0.75)
    Fix them in .env (config/example.env describes each setting).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings

ENVIRONMENT = "the environment"
BOUNDS = ("gt", "ge", "lt", "le")


@dataclass(frozen=True)
class ErrorReport:
    """Explains errors of `model`, whose fields are set by the variables `env_names(field)`
    names, found in `sources` (where -> variable -> value, the one that wins first)."""

    model: type[BaseSettings]
    env_names: Callable[[str], list[str]]
    sources: Mapping[str, Mapping[str, str]]
    set_in_code: Collection[str]  # fields given to the initialiser, not by a variable
    env_file: str  # where a person sets values: named in the advice
    secrets: Collection[str]  # fields whose values are never shown

    def message(self, exc: ValidationError) -> str:
        lines = ["Invalid settings:"]
        elsewhere: dict[str, list[str]] = {}  # variables set outside env_file, by where
        for error in exc.errors():
            field = self._field_of(error)
            if field is None:  # not one variable's fault: pydantic's words are all there is
                lines.append("  " + self._what_is_wrong(error, None))
                continue
            name, source = self._origin(field)
            if source not in (None, self.env_file):
                elsewhere.setdefault(source, []).append(name)
            value = "<hidden>" if field in self.secrets else _shown(error.get("input"))
            line = f"  {name}={value}: {self._what_is_wrong(error, field)}"
            example = self._example(field)
            lines.append(line if example is None else f"{line} (for example {name}={example})")
        return "\n".join([*lines, self._advice(elsewhere)])

    def _advice(self, elsewhere: dict[str, list[str]]) -> str:
        advice = f"Fix them in {self.env_file} (config/example.env describes each setting)."
        for source, names in elsewhere.items():
            them = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            subject, verb = ("it", "is") if len(names) == 1 else ("them", "are")
            if source == ENVIRONMENT:
                advice += f" {them} {verb} set in the environment: change {subject} there."
            else:
                advice += f" {them} {verb} set in {source}: set {subject} in {self.env_file}."
        return advice

    def _origin(self, field: str) -> tuple[str, str | None]:
        """The variable that set `field` and where (None: in code, or nowhere)."""
        names = self.env_names(field)
        if field not in self.set_in_code:
            for source, values in self.sources.items():
                for name in names:
                    if name in values:
                        return name, source
        return names[0], None

    def _field_of(self, error: ErrorDetails) -> str | None:
        if not error["loc"]:
            return None
        loc = str(error["loc"][0])
        if loc in self.model.model_fields:
            return loc
        return next((f for f in self.model.model_fields if loc.upper() in self.env_names(f)),
                    None)

    def _what_is_wrong(self, error: ErrorDetails, field: str | None) -> str:
        kind = error["type"]
        if kind == "value_error":  # our validators' own words, without "Value error, "
            return str(error.get("ctx", {}).get("error", error["msg"]))
        if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
            return _range(self._bounds(field) or dict(error.get("ctx", {})))
        if kind.startswith("bool_"):
            return "must be true or false"
        if kind.startswith("int_"):
            return "must be a whole number"
        if kind.startswith("float_"):
            return "must be a number"
        return str(error["msg"]).replace("Input should", "must", 1)

    def _bounds(self, field: str | None) -> dict[str, Any]:
        """All the field's limits, so that "must be between 0 and 1" says both ends."""
        if field is None:
            return {}
        rules = self.model.model_fields[field].metadata
        return {key: getattr(rule, key) for rule in rules for key in BOUNDS
                if getattr(rule, key, None) is not None}

    def _example(self, field: str) -> str | None:
        """The field's first example, else its default when that is a value one could set."""
        info = self.model.model_fields[field]
        if info.examples:
            return str(info.examples[0])
        default = info.default
        if default is None or (isinstance(default, Collection) and not default):
            return None
        if isinstance(default, bool):
            return str(default).lower()
        return f"{default:g}" if isinstance(default, float) else str(default)


def _range(bounds: Mapping[str, Any]) -> str:
    low = (f"more than {bounds['gt']:g}" if "gt" in bounds
           else f"{bounds['ge']:g}" if "ge" in bounds else None)
    high = (f"less than {bounds['lt']:g}" if "lt" in bounds
            else f"{bounds['le']:g}" if "le" in bounds else None)
    if "ge" in bounds and "le" in bounds:
        return f"must be between {low} and {high}"
    if low and high:
        return f"must be {low} and {high}"
    if low:
        return f"must be {low}" if "gt" in bounds else f"must be {low} or more"
    if high:
        return f"must be {high}" if "lt" in bounds else f"must be {high} or less"
    return "is out of range"


def _shown(value: Any) -> str:
    """The value as a person typed it, quoted when it has spaces or unprintable characters."""
    text = value if isinstance(value, str) else str(value)
    if text and len(text) <= 60 and text.isprintable() and not any(c.isspace() for c in text):
        return text
    return repr(text[:60] + "…" if len(text) > 60 else text)
