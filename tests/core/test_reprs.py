"""A value quoted in a message is bounded in depth and length, whatever it holds."""

from __future__ import annotations

import sys
from typing import Any

from shipyard.core.reprs import bounded_repr


def test_short_values_read_as_their_repr() -> None:
    for value in ("abc", 3, 2.5, None, [1, 2], (1,), {"a": [1, {"b": 2}]}, b"\x00", []):
        assert bounded_repr(value) == repr(value)


def test_deep_nesting_is_cut_and_never_recurses() -> None:
    value: Any = 1
    for _ in range(sys.getrecursionlimit() * 2):
        value = [value]
    assert bounded_repr(value) == "[[[[…]]]]"
    assert bounded_repr({"a": {"b": {"c": {"d": 1}}}}) == "{'a': {'b': {'c': {…}}}}"


def test_long_values_are_cut_at_the_limit() -> None:
    huge = "x" * 50_000_000
    assert bounded_repr(huge) == "'" + "x" * 38 + "…"
    assert bounded_repr(list(range(10_000_000)), limit=20) == "[0, 1, 2, 3, 4, 5, …"
    assert len(bounded_repr(bytes(range(256)) * 1000)) == 40


def test_a_repr_that_fails_is_replaced_by_the_type_name() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert bounded_repr([Broken()]) == "[<Broken>]"
