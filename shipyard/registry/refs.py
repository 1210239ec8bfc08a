"""Model references as users write them: ``name@alias``, ``name/3`` or ``name`` (latest);
split by :mod:`shipyard.core.refs`, as dataset references are."""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.core.errors import UsageError
from shipyard.core.names import check_alias, check_model_name
from shipyard.core.refs import parse_version, split_reference


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
    found = split_reference(text)
    name = check_model_name(found.name)
    if found.alias is not None:
        return ModelRef(name, alias=check_alias(found.alias))
    return ModelRef(name, version=found.version)


def version_ref(ref: str, version: object | None = None) -> tuple[str, int]:
    """The model name and version a function was given: ``("churn/3")`` or ``("churn", 3)``
    (a version as text, ``"3"``, is taken too); UsageError when it names no version."""
    if version is None:
        parsed = parse_ref(ref)
        if parsed.version is None:
            raise UsageError(
                f"{ref!r} does not name a version.",
                hint=f"Write {parsed.name}/VERSION, or pass the version: ({parsed.name!r}, 3).",
            )
        return parsed.name, parsed.version
    return check_model_name(_text(ref)), parse_version(version)


def needs_alias(alias: str | None, name: str, version: int) -> str:
    """``alias``, checked; a UsageError when a call that moves or judges an alias lacks it."""
    if alias is None:
        raise UsageError(f"Which alias for {name}/{version}?",
                         hint=f"Pass alias=, for example ({name + '/' + str(version)!r}, "
                         "alias='production').")  # fmt: skip
    return check_alias(_text(alias))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"A model name is text, not {type(value).__name__}.",
                         hint="For example 'churn'.")  # fmt: skip
    return value
