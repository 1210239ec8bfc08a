"""The run filter language of ``search_runs`` (documented in docs/api.md), parsed into clauses.

    params.C = '1.0' and metrics.auc > 0.8 and status = 'finished' and start_time > '2026-01-01'

A filter is clauses joined by ``and``. A clause is ``FIELD OP VALUE``:

- ``params.KEY`` and ``tags.KEY`` compare strings (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``,
  ``like``); ``metrics.KEY`` compares the metric's latest value with a number;
- ``status``, ``name``, ``project``, ``kind`` and ``parent_run_id`` compare strings;
  ``start_time`` and ``end_time`` compare with an ISO date or time (UTC when no offset).

A key with characters other than letters, digits and ``_ - . /`` is written in backquotes:
``params.`learning rate```. Strings are in single or double quotes. A mistake raises
:class:`UsageError` naming the position (counted from 1) where the filter goes wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shipyard._store.runs import RUN_STATUSES
from shipyard.core.errors import UsageError

PARAMS, METRICS, TAGS, ATTRIBUTE = "params", "metrics", "tags", "attribute"
STRING_ATTRIBUTES = ("status", "name", "project", "kind", "parent_run_id")
TIME_ATTRIBUTES = ("start_time", "end_time")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "like")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<field>(?:params|metrics|tags)\.(?:`[^`]+`|[\w./-]+)|[A-Za-z_]\w*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    """One comparison: ``kind`` is params, metrics, tags or attribute; ``value`` is a string,
    a float (metrics) or an aware datetime (times)."""

    kind: str
    key: str
    op: str
    value: str | float | datetime


def parse_filter(text: str | None) -> list[Clause]:
    """The clauses of ``text`` (none for an empty filter)."""
    tokens = _tokens(text or "")
    clauses: list[Clause] = []
    index = 0
    while index < len(tokens):
        if clauses:
            position, kind, word = tokens[index]
            if kind != "field" or word.lower() != "and":
                raise _error(text, position, f"expected 'and' before {word!r}")
            index += 1
        clause, index = _clause(text or "", tokens, index)
        clauses.append(clause)
    return clauses


def _tokens(text: str) -> list[tuple[int, str, str]]:
    tokens: list[tuple[int, str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = len(text[position:]) - len(text[position:].lstrip()) + position
            raise _error(text, start, f"unexpected {text[start : start + 12]!r}")
        kind = match.lastgroup
        tokens.append((match.start(kind), kind, match.group(kind)))
        position = match.end()
    return tokens


def _clause(text: str, tokens: list[tuple[int, str, str]], index: int) -> tuple[Clause, int]:
    position, kind, word = tokens[index]
    if kind != "field":
        raise _error(text, position, f"expected a field (params.KEY, metrics.KEY, tags.KEY, "
                     f"status, start_time...), not {word!r}")  # fmt: skip
    field_kind, key = parse_field(text, position, word)
    if index + 1 >= len(tokens):
        raise _error(text, len(text), f"expected an operator after {word!r}")
    op_position, op_kind, op = tokens[index + 1]
    op = op.lower()
    if op_kind not in ("op", "field") or op not in OPERATORS:
        raise _error(text, op_position, f"expected one of {' '.join(OPERATORS)}, not {op!r}")
    if index + 2 >= len(tokens):
        raise _error(text, len(text), f"expected a value after {word} {op}")
    value_position, value_kind, raw = tokens[index + 2]
    value = _value(text, value_position, value_kind, raw, field_kind, key, op)
    return Clause(field_kind, key, op, value), index + 3


def parse_field(text: str, position: int, word: str) -> tuple[str, str]:
    prefix, dot, key = word.partition(".")
    if dot and prefix in (PARAMS, METRICS, TAGS):
        return prefix, key.strip("`")
    if word in STRING_ATTRIBUTES or word in TIME_ATTRIBUTES:
        return ATTRIBUTE, word
    known = ", ".join(("params.KEY", "metrics.KEY", "tags.KEY", *STRING_ATTRIBUTES,
                       *TIME_ATTRIBUTES))  # fmt: skip
    raise _error(text, position, f"unknown field {word!r} (fields: {known})")


def _value(
    text: str, position: int, kind: str, raw: str, field_kind: str, key: str, op: str
) -> str | float | datetime:
    if field_kind == METRICS:
        if kind != "number" or op == "like":
            raise _error(text, position, f"metrics.{key} compares with a number, as in "
                         f"metrics.{key} > 0.8")  # fmt: skip
        return float(raw)
    if kind != "string":
        raise _error(text, position, f"expected a quoted string, as in '{raw}'")
    value = re.sub(r"\\(.)", r"\1", raw[1:-1])
    if field_kind == ATTRIBUTE and key in TIME_ATTRIBUTES:
        if op == "like":
            raise _error(text, position, f"{key} compares with =, <, > and the like, not 'like'")
        return _time(text, position, value)
    if field_kind == ATTRIBUTE and key == "status" and op != "like" and value not in RUN_STATUSES:
        raise _error(text, position, f"status is one of {', '.join(RUN_STATUSES)}")
    return value


def _time(text: str, position: int, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _error(text, position, f"{value!r} is not an ISO date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _error(text: str | None, position: int, problem: str) -> UsageError:
    return UsageError(
        f"Invalid run filter at position {position + 1}: {problem}.",
        hint="For example: params.C = '1.0' and metrics.auc > 0.8 and status = 'finished' "
        "(see docs/api.md).",
    )
