"""Checking data against :class:`Expectations`, vectorised with Arrow compute kernels.

Every rule runs over whole columns at once (no Python loop over rows); only when a rule fails
are the first few failing rows looked up for the report. The data is read into one Arrow
table in memory (from any source :func:`~shipyard.data.readers.open_source` accepts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.core.errors import ConfigurationError
from shipyard.data.expectations import Check, Column, Expectations
from shipyard.data.logical import NUMERIC
from shipyard.data.readers import open_source
from shipyard.data.report import EXAMPLES, Failure, ValidationReport, plain
from shipyard.data.schema import logical_type

Bad: TypeAlias = Any  # a boolean pa.Array or pa.ChunkedArray: True marks a failing row


def validate(
    data: Any, expectations: Expectations, *, dataset: str | None = None
) -> ValidationReport:
    """Check ``data`` (a table, DataFrame, path, … or an Arrow table) against
    ``expectations`` and return the report; this never raises for data that fails."""
    if isinstance(data, pa.Table):
        table, description = data, "table"
    else:
        source = open_source(data)
        table, description = source.read_all(), source.description
    return Validator(table, dataset or description).run(expectations)


class Validator:
    def __init__(self, table: pa.Table, dataset: str) -> None:
        self.table = table
        self.dataset = dataset
        self.checks = 0
        self.failures: list[Failure] = []

    def run(self, expectations: Expectations) -> ValidationReport:
        self._table_rules(expectations)
        for name, column in expectations.columns.items():
            if name in self.table.column_names:
                self._column_rules(name, column)
        for check in expectations.checks:
            self._custom(check)
        return ValidationReport(
            dataset=self.dataset, rows=self.table.num_rows, columns=self.table.num_columns,
            checks=self.checks, failures=tuple(self.failures),
            expectations_hash=expectations.fingerprint(),
        )  # fmt: skip

    def _fail(self, column: str | None, rule: str, expected: str, count: int | None,
              examples: tuple[dict[str, Any], ...] = ()) -> None:  # fmt: skip
        self.failures.append(Failure(column, rule, expected, count, examples))

    # -- table rules -----------------------------------------------------------------------

    def _table_rules(self, expectations: Expectations) -> None:
        rows, present = self.table.num_rows, set(self.table.column_names)
        bounds = expectations.rows
        if bounds is not None and (bounds.min is not None or bounds.max is not None):
            self.checks += 1
            low, high = bounds.min, bounds.max
            if (low is not None and rows < low) or (high is not None and rows > high):
                expected = f"between {low or 0:,} and {'any' if high is None else f'{high:,}'}"
                self._fail(None, "row_count", f"{expected} rows", None, ({"found": rows},))
        if expectations.missing_columns == "forbid":
            for name in expectations.columns:
                self.checks += 1
                if name not in present:
                    self._fail(name, "present", "the column to exist", None)
        if expectations.extra_columns == "forbid":
            self.checks += 1
            for name in self.table.column_names:
                if name not in expectations.columns:
                    self._fail(name, "extra_column", "only the declared columns", None)

    # -- column rules ----------------------------------------------------------------------

    def _column_rules(self, name: str, rules: Column) -> None:
        column = self.table.column(name)
        dtype = logical_type(column.type)
        if rules.dtype is not None:
            self.checks += 1
            if not _dtype_matches(rules.dtype, dtype):
                self._fail(
                    name, "dtype", rules.dtype, None, ({"found": f"{dtype} ({column.type})"},)
                )
                return  # value rules assume the declared type
        if rules.nullable is False:
            self.checks += 1
            self._rows(name, column, "not_null", "no nulls", pc.is_null(column, nan_is_null=True))
        if rules.min is not None or rules.max is not None:
            self.checks += 1
            self._range(name, column, dtype, rules)
        if rules.allowed is not None:
            self.checks += 1
            self._allowed(name, column, rules.allowed)
        if rules.unique:
            self.checks += 1
            self._unique(name, column)
        if rules.regex is not None:
            self.checks += 1
            self._regex(name, column, dtype, rules.regex)

    def _rows(self, name: str | None, column: pa.ChunkedArray, rule: str, expected: str,
              bad: Bad) -> None:  # fmt: skip
        count = int(pc.sum(bad).as_py() or 0)
        if count:
            self._fail(name, rule, expected, count, _examples(column, bad))

    def _range(self, name: str, column: pa.ChunkedArray, dtype: str | None, rules: Column) -> None:
        expected = _bounds_text(rules)
        try:
            low = None if rules.min is None else _scalar(rules.min, column.type)
            high = None if rules.max is None else _scalar(rules.max, column.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            self._fail(name, "range", expected, None, ({"found": f"a {dtype} column"},))
            return
        values = column
        if pa.types.is_dictionary(column.type):
            values = pc.cast(column, column.type.value_type)
        bad: Any = None
        for bound, compare in ((low, pc.less), (high, pc.greater)):
            if bound is not None:
                part = compare(values, bound)
                bad = part if bad is None else pc.or_(bad, part)
        self._rows(name, column, "range", expected, bad)

    def _allowed(self, name: str, column: pa.ChunkedArray, allowed: list[Any]) -> None:
        value_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        try:
            value_set = pa.array(allowed).cast(value_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ConfigurationError(
                f"The allowed values of column {name!r} do not fit its type {value_type}: {exc}"
            ) from exc
        if pa.types.is_dictionary(column.type):
            chunks = [
                pc.invert(pc.take(pc.is_in(chunk.dictionary, value_set=value_set), chunk.indices))
                for chunk in column.chunks
            ]
            bad: Bad = pa.chunked_array(chunks, type=pa.bool_())
        else:
            bad = pc.invert(pc.is_in(column, value_set=value_set, skip_nulls=True))
            if column.null_count:
                bad = pc.and_(bad, pc.is_valid(column))
        shown = ", ".join(map(repr, allowed[:8])) + (", …" if len(allowed) > 8 else "")
        self._rows(name, column, "allowed", f"one of {shown}", bad)

    def _unique(self, name: str, column: pa.ChunkedArray) -> None:
        valid = len(column) - column.null_count
        if pc.count_distinct(column).as_py() == valid:
            return
        series = column.to_pandas()
        mask = series.duplicated(keep=False).to_numpy() & series.notna().to_numpy()
        self._rows(name, column, "unique", "no repeated values", pa.array(mask))

    def _regex(self, name: str, column: pa.ChunkedArray, dtype: str | None, pattern: str) -> None:
        if dtype not in ("string", "category"):
            self._fail(name, "regex", f"strings matching {pattern!r}", None,
                       ({"found": f"a {dtype} column"},))  # fmt: skip
            return
        values = pc.cast(column, column.type.value_type) if dtype == "category" else column
        try:
            matched = pc.match_substring_regex(values, pattern=f"^(?:{pattern})$")
        except pa.ArrowInvalid as exc:
            raise ConfigurationError(
                f"The regex of column {name!r} is not valid RE2 syntax: {exc}",
                hint="Shipyard matches with RE2: no look-arounds or back-references.",
            ) from exc
        self._rows(name, column, "regex", f"strings matching {pattern!r}", pc.invert(matched))

    # -- custom checks ---------------------------------------------------------------------

    def _custom(self, check: Check) -> None:
        self.checks += 1
        rule = f"check:{check.name}"
        expected = check.description or "to pass"
        if check.column is not None and check.column not in self.table.column_names:
            self._fail(check.column, rule, expected, None, ({"found": "no such column"},))
            return
        column = self.table.column(check.column) if check.column is not None else None
        argument = column.to_pandas() if column is not None else self.table.to_pandas()
        try:
            result = _call(check.fn, argument)
        except Exception as exc:
            self._fail(check.column, rule, expected, None,
                       ({"error": f"{type(exc).__name__}: {exc}"},))  # fmt: skip
            return
        if isinstance(result, bool | np.bool_):
            if not result:
                self._fail(check.column, rule, expected, None)
            return
        passed = np.asarray(result, dtype=bool)
        if passed.shape != (self.table.num_rows,):
            self._fail(check.column, rule, expected, None,
                       ({"error": f"returned {passed.shape} values for "
                                  f"{self.table.num_rows} rows"},))  # fmt: skip
            return
        bad = pa.array(~passed)
        target = column if column is not None else pa.chunked_array([pa.array(range(len(bad)))])
        self._rows(check.column, target, rule, expected, bad)


def _call(fn: Callable[[Any], Any], argument: Any) -> Any:
    result = fn(argument)
    to_numpy = getattr(result, "to_numpy", None)
    return to_numpy() if callable(to_numpy) else result


def _dtype_matches(expected: str, found: str | None) -> bool:
    return found in NUMERIC if expected == "number" else expected == found


def _scalar(value: Any, arrow_type: pa.DataType) -> pa.Scalar:
    target = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    logical = logical_type(target)
    if logical in NUMERIC:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise pa.ArrowInvalid("a numeric column needs numeric bounds")
        return pa.scalar(float(value)) if logical == "float" else pa.scalar(value)
    if logical in ("datetime", "date") and not isinstance(value, int | float):
        return pa.scalar(value).cast(target)
    raise pa.ArrowInvalid(f"cannot bound a {logical} column")


def _bounds_text(rules: Column) -> str:
    if rules.min is not None and rules.max is not None:
        return f"between {rules.min} and {rules.max}"
    return f">= {rules.min}" if rules.min is not None else f"<= {rules.max}"


def _examples(column: pa.ChunkedArray, bad: Bad) -> tuple[dict[str, Any], ...]:
    chunks = bad.chunks if isinstance(bad, pa.ChunkedArray) else [bad]
    rows: list[int] = []
    offset = 0
    for chunk in chunks:
        found = np.flatnonzero(chunk.fill_null(False).to_numpy(zero_copy_only=False))
        rows += (found[: EXAMPLES - len(rows)] + offset).tolist()
        offset += len(chunk)
        if len(rows) >= EXAMPLES:
            break
    values = column.take(pa.array(rows, type=pa.int64())).to_pylist()
    return tuple({"row": r, "value": plain(v)} for r, v in zip(rows, values, strict=True))
