"""Model references as users write them: ``name@alias``, ``name/3`` or ``name`` (latest)."""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.core.errors import UsageError
from shipyard.core.names import check_alias, check_model_name


@dataclass(frozen=True)
class ModelRef:
    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.alias:
            return f"{self.name}@{self.alias}"
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return self.name


def parse_ref(text: str) -> ModelRef:
    """Parse ``name@alias``, ``name/VERSION`` or ``name``; raise UsageError when malformed."""
    text = text.strip()
    if "@" in text:
        name, _, alias = text.partition("@")
        return ModelRef(_name(name, text), alias=_alias(alias, text))
    if "/" in text:
        name, _, version = text.partition("/")
        if not version.isdigit() or int(version) < 1:
            raise UsageError(
                f"{text!r} names version {version!r}, which is not a positive whole number.",
                hint="Write NAME/VERSION, for example churn/3.",
            )
        return ModelRef(_name(name, text), version=int(version))
    return ModelRef(_name(text, text))


def _name(name: str, text: str) -> str:
    if not name:
        raise UsageError(f"{text!r} has no model name.", hint="Write NAME@ALIAS or NAME/VERSION.")
    return check_model_name(name)


def _alias(alias: str, text: str) -> str:
    if not alias:
        raise UsageError(f"{text!r} has no alias after '@'.", hint="For example churn@production.")
    return check_alias(alias)
