"""Rules for the names users choose: models, aliases, metric and param keys."""

from __future__ import annotations

import re

from shipyard.core.errors import UsageError

_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
_KEY = re.compile(r"^[A-Za-z0-9_.\-/ :]{1,250}$")


def check_model_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise :class:`UsageError`."""
    if not isinstance(name, str) or not _MODEL.match(name):
        raise UsageError(
            f"{name!r} is not a valid model name.",
            hint="Use letters, digits, '.', '_' and '-', starting with a letter or digit.",
        )
    return name


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is a valid alias, else raise :class:`UsageError`."""
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise UsageError(
            f"{alias!r} is not a valid alias.",
            hint="An alias starts with a letter and holds letters, digits, '_' and '-' "
            "(for example staging or production).",
        )
    return alias


def check_key(key: str, kind: str = "key") -> str:
    """Return ``key`` if it is a valid metric, param or tag key, else raise UsageError."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise UsageError(
            f"{key!r} is not a valid {kind}.",
            hint="Keys are 1-250 characters of letters, digits, space and _ . - / :",
        )
    return key
