"""References as users write them, for models and datasets alike: ``NAME/VERSION`` names a
version, ``NAME@ALIAS`` an alias, ``NAME`` alone the newest version. Parsed here, once.

A version is a positive whole number in ASCII digits that fits the store's 64-bit integer
columns; anything else ('²', '0', a 30-digit number) is a :class:`UsageError`, which the CLI
shows as a usage error and the server answers with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.core.errors import UsageError

MAX_VERSION = 2**63 - 1
"""The largest version the store can hold (a signed 64-bit integer)."""


def parse_version(value: object, *, ref: str | None = None) -> int:
    """``value`` (an int, or text of ASCII digits) as a version number; UsageError otherwise.

    ``ref`` is the reference it came from, for the message."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        shown = value if isinstance(value, int | str) and len(str(value)) <= 40 else (
            f"{str(value)[:20]}…")  # fmt: skip
        where = f"{ref!r} names version {shown!r}" if ref else f"Version {shown!r}"
        raise UsageError(
            f"{where}, which is not a version number.",
            hint="A version is a whole number from 1, written in digits (churn/3).",
        )
    if not 1 <= number <= MAX_VERSION:
        where = f"{ref!r} names version {number}" if ref else f"Version {number}"
        raise UsageError(
            f"{where}, which is out of range.",
            hint=f"Versions are numbered from 1 (at most {MAX_VERSION}).",
        )
    return number


@dataclass(frozen=True)
class Reference:
    """The parts of ``NAME/VERSION``, ``NAME@ALIAS`` or ``NAME`` (not yet checked as names)."""

    name: str
    alias: str | None = None
    version: int | None = None


def split_reference(text: str, *, kind: str = "model") -> Reference:
    """Split a reference into its name and its alias or version; the version is checked
    (:func:`parse_version`), the name and alias are left to the caller's rules."""
    if not isinstance(text, str):
        raise UsageError(
            f"A {kind} reference is text (NAME/VERSION or NAME@ALIAS), not {type(text).__name__}.",
            hint="For example churn/3 or churn@production.",
        )
    text = text.strip()
    if "@" in text:
        name, _, alias = text.partition("@")
        found = Reference(name, alias=alias)
    elif "/" in text:
        name, _, version = text.partition("/")
        found = Reference(name, version=parse_version(version, ref=text))
    else:
        found = Reference(text)
    if not found.name:
        raise UsageError(f"{text!r} has no {kind} name.", hint="Write NAME@ALIAS or NAME/VERSION.")
    if found.alias is not None and not found.alias:
        raise UsageError(f"{text!r} has no alias after '@'.", hint="For example churn@production.")
    return found
