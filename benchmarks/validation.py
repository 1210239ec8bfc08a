"""Validation benchmark: checking a 1M x 20 DataFrame, Shipyard vs pandera (and Great
Expectations when it is installed), in the same process on the same in-memory data.

Every column gets a dtype check and a not-null check, plus a range check (16 numeric columns)
or an allowed-set check (4 string columns): 80 checks. Violations are planted in 6 columns
(nulls, out-of-range values, values outside the allowed set), so every tool has to find them
and produce a failure report; the benchmark checks that each tool reports the same failing row
counts per column and rule. Time runs from the pandas DataFrame in memory to the finished
report (Shipyard: ``validate(df, expectations)``; pandera: ``schema.validate(df, lazy=True)``
and its ``failure_cases``; Great Expectations: ``batch.validate(suite)``). Each tool is warmed
up on 10,000 rows, then measured ``--repeats`` times (Great Expectations once); the median
is quoted.

Run with ``make bench NAME=validation``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _common import emit_result, environment_line, note, print_table, ratio, rounded

from shipyard.data.expectations import Column, Expectations
from shipyard.data.validate import validate

FLOATS, INTS, STRINGS = 12, 4, 4
LEVELS = ["alpha", "beta", "gamma", "delta", "epsilon"]
# (column, rule, rows): the violations planted, and so the failures every tool must report
PLANTED = [("f0", "not_null", 1_000), ("f1", "range", 500), ("f5", "range", 250),
           ("i0", "range", 300), ("s0", "allowed", 400), ("s1", "not_null", 100)]  # fmt: skip


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {f"f{i}": rng.normal(0, 1, rows) for i in range(FLOATS)}
    columns |= {f"i{i}": rng.integers(0, 1_000, rows) for i in range(INTS)}
    columns |= {f"s{i}": rng.choice(LEVELS, rows).astype(object) for i in range(STRINGS)}
    frame = pd.DataFrame(columns)
    for column, rule, count in PLANTED:
        where = rng.choice(rows, size=min(count, rows // 10), replace=False)
        if rule == "not_null":
            frame.loc[where, column] = None
        elif rule == "range":
            frame.loc[where, column] = -1 if column.startswith("i") else 1e6
        else:
            frame.loc[where, column] = "zeta"
    return frame


def bounds(column: str) -> tuple[float, float]:
    return (0, 999) if column.startswith("i") else (-10.0, 10.0)


# -- the three tools ----------------------------------------------------------------------------


def shipyard_check(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    rules: dict[str, Column] = {}
    for name in frame.columns:
        if name.startswith("s"):
            rules[name] = Column(dtype="string", nullable=False, allowed=LEVELS)
        else:
            low, high = bounds(name)
            dtype = "integer" if name.startswith("i") else "float"
            rules[name] = Column(dtype=dtype, nullable=False, min=low, max=high)
    report = validate(frame, Expectations(columns=rules), dataset="benchmark")
    assert report.checks == 4 * len(frame.columns), report.checks
    return {(f.column or "", f.rule): f.failing_rows or 0 for f in report.failures}


def pandera_check(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    import pandera.pandas as pa

    columns = {}
    for name in frame.columns:
        if name.startswith("s"):
            columns[name] = pa.Column(str, pa.Check.isin(LEVELS), nullable=False)
        else:
            low, high = bounds(name)
            kind = int if name.startswith("i") else float
            columns[name] = pa.Column(kind, pa.Check.in_range(low, high), nullable=False)
    schema = pa.DataFrameSchema(columns)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        counts = cases.groupby(["column", "check"]).size()
        rules = {"not_nullable": "not_null", "isin": "allowed", "in_range": "range"}
        found: dict[tuple[str, str], int] = {}
        for (column, check), count in counts.items():
            rule = next((r for k, r in rules.items() if str(check).startswith(k)), str(check))
            found[(str(column), rule)] = int(count)
        return found
    return {}


def great_expectations_check(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas(f"p{time.perf_counter_ns()}")
    asset = source.add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = gx.ExpectationSuite(name="benchmark")
    meaning: dict[int, tuple[str, str]] = {}
    for name in frame.columns:
        kind = (
            "object" if name.startswith("s") else ("int64" if name.startswith("i") else "float64")
        )
        expectations: list[tuple[Any, str]] = [
            (gxe.ExpectColumnValuesToBeOfType(column=name, type_=kind), "dtype"),
            (gxe.ExpectColumnValuesToNotBeNull(column=name), "not_null"),
        ]
        if name.startswith("s"):
            expectations.append((gxe.ExpectColumnValuesToBeInSet(column=name, value_set=LEVELS),
                                 "allowed"))  # fmt: skip
        else:
            low, high = bounds(name)
            expectations.append((gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=low, max_value=high), "range"))  # fmt: skip
        for expectation, rule in expectations:
            suite.add_expectation(expectation)
            meaning[len(meaning)] = (name, rule)
    result = batch.validate(suite)
    found: dict[tuple[str, str], int] = {}
    for item in result.results:
        if not item.success:
            column = item.expectation_config.kwargs["column"]
            rule = {"expect_column_values_to_not_be_null": "not_null",
                    "expect_column_values_to_be_in_set": "allowed",
                    "expect_column_values_to_be_between": "range"}.get(
                item.expectation_config.type, item.expectation_config.type)  # fmt: skip
            found[(column, rule)] = int(item.result.get("unexpected_count") or 0)
    return found


# -- measuring ----------------------------------------------------------------------------------


def measure(
    check: Callable[[pd.DataFrame], dict[tuple[str, str], int]],
    frame: pd.DataFrame,
    warmup: pd.DataFrame,
    repeats: int,
) -> tuple[list[float], dict[tuple[str, str], int]]:
    check(warmup)
    times, found = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        found = check(frame)
        times.append(time.perf_counter() - start)
    return times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-great-expectations", action="store_true")
    options = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # Great Expectations draws progress bars

    note(f"validation benchmark: {options.rows:,} rows x {FLOATS + INTS + STRINGS} columns, "
         f"80 checks (dtype, not-null, range or allowed set); {environment_line()}")  # fmt: skip
    frame, warmup = make_data(options.rows), make_data(10_000, seed=1)
    expected = {(c, r): (n if options.rows >= 10 * n else options.rows // 10)
                for c, r, n in PLANTED}  # fmt: skip
    tools: list[tuple[str, Callable[..., Any], int]] = [
        ("shipyard", shipyard_check, options.repeats),
        ("pandera", pandera_check, options.repeats),
    ]
    if not options.skip_great_expectations:
        tools.append(("great_expectations", great_expectations_check, 1))

    rows, figures, rates = [], {}, {}
    for tool, check, repeats in tools:
        try:
            times, found = measure(check, frame, warmup, repeats)
        except ImportError as exc:
            note(f"{tool}: not installed ({exc}); skipped")
            continue
        seconds = statistics.median(times)
        agrees = found == expected
        rates[tool] = options.rows / seconds
        rows.append([tool, seconds, rates[tool], len(found), sum(found.values()),
                     "yes" if agrees else "NO", ", ".join(f"{t:.2f}" for t in times)])  # fmt: skip
        figures |= {
            f"{tool}_seconds": rounded(seconds), f"{tool}_rows_per_s": rounded(rates[tool]),
            f"{tool}_failed_checks": len(found), f"{tool}_report_matches_planted": agrees,
        }  # fmt: skip
        if not agrees:
            note(f"{tool} reported {sorted(found.items())}, planted {sorted(expected.items())}")
    print_table(
        "Validation of the whole table, from DataFrame to failure report (median run)",
        ["tool", "seconds", "rows/s", "failed checks", "failing rows", "matches planted",
         "runs (s)"],
        rows,
    )  # fmt: skip
    figures |= {"rows": options.rows, "columns": FLOATS + INTS + STRINGS, "checks": 80}
    ratios = {"validation_speedup_vs_pandera": ratio(rates["shipyard"], rates["pandera"])}
    if "great_expectations" in rates:
        ratios["validation_speedup_vs_great_expectations"] = ratio(
            rates["shipyard"], rates["great_expectations"]
        )
    note(
        f"\nShipyard is {ratios['validation_speedup_vs_pandera']}x pandera's rows/s (target >= 1)."
    )
    emit_result("validation", figures, ratios)


if __name__ == "__main__":
    main()
