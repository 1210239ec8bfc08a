"""The outcome of validating data against expectations: per column and rule, how many rows
fail and a few of them, as readable text and as JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass
from typing import Any

import orjson

from shipyard.data.errors import DataValidationError

EXAMPLES = 5


@dataclass(frozen=True)
class Failure:
    """One rule broken by one column (``column`` is None for table rules)."""

    column: str | None
    rule: str
    expected: str
    failing_rows: int | None  # None when the rule is not about rows (a missing column)
    examples: tuple[dict[str, Any], ...] = ()  # {"row": 17, "value": -3} or {"found": ...}

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rule": self.rule,
            "expected": self.expected,
            "failing_rows": self.failing_rows,
            "examples": list(self.examples),
        }

    def examples_text(self) -> str:
        parts = []
        for example in self.examples:
            if "row" in example:
                parts.append(f"row {example['row']}: {_show(example['value'])}")
            else:
                parts.append(", ".join(f"{k} {_show(v)}" for k, v in example.items()))
        return "; ".join(parts)


@dataclass(frozen=True)
class ValidationReport:
    dataset: str
    rows: int
    columns: int
    checks: int
    failures: tuple[Failure, ...] = ()
    expectations_hash: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures

    def headline(self) -> str:
        if self.passed:
            return f"{self.dataset} passed all {self.checks} checks ({self.rows:,} rows)."
        broken = len(self.failures)
        return (
            f"{self.dataset} failed {broken} of {self.checks} checks ({self.rows:,} rows): "
            + ", ".join(_label(f) for f in self.failures[:5])
            + (f" and {broken - 5} more." if broken > 5 else ".")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "passed": self.passed,
            "rows": self.rows,
            "columns": self.columns,
            "checks": self.checks,
            "failed": len(self.failures),
            "expectations_hash": self.expectations_hash,
            "failures": [f.to_dict() for f in self.failures],
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2, default=str)

    def summary(self) -> dict[str, Any]:
        """The short form kept in the metadata store (the full report is an artifact)."""
        return {
            "rows": self.rows, "checks": self.checks, "failed": len(self.failures),
            "failures": [
                {"column": f.column, "rule": f.rule, "failing_rows": f.failing_rows}
                for f in self.failures[:50]
            ],
        }  # fmt: skip

    def to_text(self) -> str:
        """A plain-text report: the headline, then one line per failure."""
        lines = [("PASSED  " if self.passed else "FAILED  ") + self.headline()]
        if self.failures:
            width = max(len(f.column or "(table)") for f in self.failures)
            rule_width = max(len(f.rule) for f in self.failures)
            for f in self.failures:
                count = "-" if f.failing_rows is None else (
                    f"{f.failing_rows:,} row" + ("" if f.failing_rows == 1 else "s")
                )  # fmt: skip
                lines.append(
                    f"  {(f.column or '(table)').ljust(width)}  {f.rule.ljust(rule_width)}  "
                    f"{count:>12}  expected {f.expected}"
                )
                if f.examples:
                    lines.append(f"  {' ' * width}  {' ' * rule_width}  {'':>12}  e.g. "
                                 + f.examples_text())  # fmt: skip
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def raise_for_failure(self) -> ValidationReport:
        """Raise DataValidationError when the data failed; return the report otherwise."""
        if not self.passed:
            raise DataValidationError(self)
        return self


def _label(failure: Failure) -> str:
    return f"{failure.column}: {failure.rule}" if failure.column else failure.rule


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return str(value)


def plain(value: Any) -> Any:
    """A value as JSON can carry it (datetimes as ISO text, NaN as the string 'NaN')."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
