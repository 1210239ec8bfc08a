"""Values shown in messages: a bad value is quoted, never walked whole.

An error message that quotes what it refuses must not be the thing that fails: ``repr()`` of
a list nested a thousand deep recurses past Python's limit, and of a 100 MB string costs
100 MB. :func:`bounded_repr` is ``repr`` cut in depth and length, built from only as much of
the value as it shows.
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN_CHARS = 40
MAX_SHOWN_DEPTH = 3
"""A value in a message is shown in at most this many characters and levels of nesting."""


def bounded_repr(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters and ``MAX_SHOWN_DEPTH`` levels of nesting
    (``[[[[…]]]]``), ending in ``…`` when cut."""
    parts: list[str] = []
    _show(value, MAX_SHOWN_DEPTH, parts, [limit + 1])
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any, depth: int, parts: list[str], budget: list[int]) -> None:
    """Append pieces of ``value``'s repr to ``parts`` until ``budget[0]`` characters are used."""
    if budget[0] <= 0:
        return
    if isinstance(value, list | tuple | dict):
        opening, closing = ("{", "}") if isinstance(value, dict) else ("(", ")") if isinstance(
            value, tuple) else ("[", "]")  # fmt: skip
        if depth == 0:
            _add(parts, budget, f"{opening}…{closing}" if value else opening + closing)
            return
        _add(parts, budget, opening)
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        for position, (key, item) in enumerate(items):
            if budget[0] <= 0:
                return
            if position:
                _add(parts, budget, ", ")
            if isinstance(value, dict):
                _show(key, depth - 1, parts, budget)
                _add(parts, budget, ": ")
            _show(item, depth - 1, parts, budget)
        _add(parts, budget, ",)" if isinstance(value, tuple) and len(value) == 1 else closing)
        return
    if isinstance(value, str | bytes):
        _add(parts, budget, repr(value[: budget[0]]))
        return
    try:
        text = repr(value)
    except Exception:  # a repr that fails (or recurses) must not fail the message
        text = f"<{type(value).__name__}>"
    _add(parts, budget, text)


def _add(parts: list[str], budget: list[int], text: str) -> None:
    parts.append(text[: max(budget[0], 0)])
    budget[0] -= len(text)
