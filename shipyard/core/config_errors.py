"""pydantic's validation errors as a user reads them: each problem at its place in the YAML
document, in words (``shipyard.yaml:23 evaluation.gates[0].metric: required key is missing``).

Every reader of a ``shipyard.yaml`` section turns its ``ValidationError`` into one
:class:`~shipyard.core.errors.ConfigurationError` through :func:`validation_problems`; the
caller says how a key path is labelled (file and line, a section prefix, a ``--set`` mark).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from shipyard.core.yamlfile import KeyPath, dig

SHOWN = 5
"""Problems named in one message; the rest are counted."""


def validation_problems(
    error: ValidationError, document: Any, label: Callable[[KeyPath], str]
) -> str:
    """``LABEL: message`` for each of the first problems, ``; ``-joined (and how many more)."""
    errors = error.errors()
    shown = [f"{label(document_path(document, item['loc']))}: {_message(item)}"
             for item in errors[:SHOWN]]  # fmt: skip
    more = len(errors) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def document_path(document: Any, loc: Sequence[Any]) -> KeyPath:
    """pydantic's error location as a path in the document: parts that are not keys of the
    document (union and discriminator tags) are left out."""
    path: list[str | int] = []
    current = document
    for part in loc:
        if _has(current, part):
            path.append(part)
            current = current[part]
        elif (
            isinstance(current, Mapping | list)
            and dig(current, [part]) is None
            and (isinstance(part, str) and not _is_tag(part))
        ):
            path.append(part)  # a missing or unknown key: name it
            current = None
    return tuple(path)


def _has(container: Any, part: Any) -> bool:
    if isinstance(container, Mapping):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _is_tag(part: str) -> bool:
    """pydantic's names for union members (``function-after[...]``, ``str``, gate kinds)."""
    return "[" in part or part in {"str", "int", "float", "bool", "list", "dict"} or (
        part in {"threshold", "no_regression", "slice", "fairness", "invariance",
                 "directional", "minimum_functionality", "SqlSource", "categorical"}
    )  # fmt: skip


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (not allowed here)"
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"]).removeprefix("Value error, ")
