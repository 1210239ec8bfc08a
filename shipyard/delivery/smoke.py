"""Smoke tests: a few requests that must succeed before a version meets users.

``smoke_test("churn/4", cases)`` starts an ephemeral server for the version (no user can
reach it), waits until it is ready, and sends each case; ``url=`` sends them to a running
server instead. Every case checks the response contract — a 200, one plain JSON prediction
per row (no NaN, no infinity), the request id, and the ``x-shipyard-version`` header naming
the version expected — plus what the case declares: an expected value per row, a range, a
type, and a latency budget. The model's own input example is always the first case.

In ``shipyard.yaml``::

    smoke:
      - name: loyal customer stays
        inputs: [{tenure_months: 60, monthly_charges: 20.0, plan: basic}]
        expect: 0
        latency_ms: 200
      - name: probabilities
        inputs: [{tenure_months: 3, monthly_charges: 90.0, plan: pro}]
        expect_range: [0, 1]
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ConfigurationError, ShipyardError
from shipyard.core.http import http_client

JSON_TYPES = {"integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,)}
DEFAULT_LATENCY_MS = 1000.0
CASE_KEYS = frozenset({"name", "inputs", "expect", "expect_range", "expect_type", "latency_ms"})
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SmokeCase:
    """One request that must succeed: ``inputs`` are records, as a client sends them.

    ``expect`` is the prediction every row must equal (or a list, one per row);
    ``expect_range`` an inclusive ``[low, high]`` every prediction must lie in;
    ``expect_type`` one of ``integer``, ``number``, ``string``, ``boolean``;
    ``latency_ms`` the budget for the whole request.
    """

    name: str
    inputs: tuple[Mapping[str, Any], ...]
    expect: Any = None
    expect_range: tuple[float, float] | None = None
    expect_type: str | None = None
    latency_ms: float = DEFAULT_LATENCY_MS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "smoke") -> SmokeCase:
        """A case as ``shipyard.yaml`` declares it; ``where`` names it in errors."""
        unknown = sorted(set(data) - CASE_KEYS)
        if unknown:
            raise ConfigurationError(
                f"{where}: unknown key {unknown[0]!r} in a smoke case.",
                hint=f"A case may hold {', '.join(sorted(CASE_KEYS))}.",
            )
        inputs = data.get("inputs")
        if isinstance(inputs, Mapping):
            inputs = [inputs]
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(row, Mapping) for row in inputs)
        ):
            raise ConfigurationError(
                f"{where}.inputs: expected a list of records (column: value).",
                hint="For example inputs: [{age: 30, plan: basic}].",
            )
        expect_range = data.get("expect_range")
        if expect_range is not None and not (
            isinstance(expect_range, list | tuple)
            and len(expect_range) == 2
            and all(isinstance(v, int | float) for v in expect_range)
            and expect_range[0] <= expect_range[1]
        ):
            raise ConfigurationError(
                f"{where}.expect_range: expected [low, high] with low <= high, "
                f"got {expect_range!r}."
            )
        expect_type = data.get("expect_type")
        if expect_type is not None and expect_type not in JSON_TYPES:
            raise ConfigurationError(
                f"{where}.expect_type: unknown type {expect_type!r}.",
                hint=f"Use one of {', '.join(JSON_TYPES)}.",
            )
        latency = data.get("latency_ms", DEFAULT_LATENCY_MS)
        if not isinstance(latency, int | float) or isinstance(latency, bool) or latency <= 0:
            raise ConfigurationError(f"{where}.latency_ms: expected a positive number.")
        expect = data.get("expect")
        if isinstance(expect, list) and len(expect) != len(inputs):
            raise ConfigurationError(
                f"{where}.expect: {len(expect)} values for {len(inputs)} input rows.",
                hint="Give one expected value, or one per row.",
            )
        return cls(
            name=str(data.get("name") or where),
            inputs=tuple(dict(row) for row in inputs),
            expect=expect,
            expect_range=None if expect_range is None else (expect_range[0], expect_range[1]),
            expect_type=expect_type,
            latency_ms=float(latency),
        )


def load_smoke_cases(path: str | Path) -> list[SmokeCase]:
    """The ``smoke:`` cases of a ``shipyard.yaml`` (none when the file has no such section),
    each checked, with errors naming the file's line (``shipyard.yaml:12 smoke[0].expect``)."""
    from shipyard.core.yamlfile import load_yaml, where

    document, locate = load_yaml(path)
    section = document.get("smoke") if isinstance(document, dict) else None
    if section is None:
        return []
    if not isinstance(section, list):
        raise ConfigurationError(
            f"{where(path, locate, ('smoke',))}: expected a list of cases.",
            hint="Write smoke: [{name: ..., inputs: [...]}].",
        )
    cases = []
    for index, item in enumerate(section):
        place = where(path, locate, ("smoke", index))
        if not isinstance(item, dict):
            raise ConfigurationError(f"{place}: expected a mapping (name, inputs, expect...).")
        unknown = sorted(set(item) - CASE_KEYS, key=str)
        if unknown:
            raise ConfigurationError(
                f"{where(path, locate, ('smoke', index, unknown[0]))}: unknown key "
                f"{unknown[0]!r} in a smoke case.",
                hint=f"A case may hold {', '.join(sorted(CASE_KEYS))}.",
            )
        try:
            cases.append(SmokeCase.from_mapping(item, where=place))
        except ShipyardError as exc:
            raise ConfigurationError(exc.message, hint=exc.hint) from None
    return cases


@dataclass(frozen=True)
class CaseResult:
    """How one case went: passed, or the problems found, with the figures."""

    case: str
    passed: bool
    status: int | None
    latency_ms: float | None
    problems: tuple[str, ...] = ()
    predictions: list[Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "passed": self.passed,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "problems": list(self.problems),
            "predictions": self.predictions,
        }


@dataclass(frozen=True)
class SmokeReport:
    """The smoke test of one target: readiness, then every case."""

    target: str
    url: str
    expected_version: str | None
    ready: bool
    results: tuple[CaseResult, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.ready and not self.problems and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[str]:
        found = list(self.problems)
        for result in self.results:
            found.extend(f"{result.case}: {problem}" for problem in result.problems)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "url": self.url,
            "expected_version": self.expected_version,
            "ready": self.ready,
            "passed": self.passed,
            "problems": list(self.problems),
            "cases": [result.to_dict() for result in self.results],
        }


def smoke_test(
    target: str,
    cases: Sequence[SmokeCase | Mapping[str, Any]] = (),
    *,
    url: str | None = None,
    token: str | None = None,
    workspace: Workspace | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> SmokeReport:
    """Run the smoke cases against ``target`` (``NAME/VERSION`` or ``NAME@ALIAS``): on an
    ephemeral server of its own, or on the server at ``url``. The model's input example is
    always the first case."""
    from shipyard.registry.registry import input_example
    from shipyard.registry.versions import resolve

    ws = workspace or workspace_for()
    expected = resolve(target, workspace=ws).ref
    example = input_example(expected, workspace=ws)
    chosen = [
        SmokeCase("input example", tuple(example)),
        *(
            case
            if isinstance(case, SmokeCase)
            else SmokeCase.from_mapping(case, where=f"smoke[{i}]")
            for i, case in enumerate(cases)
        ),
    ]
    if url is not None:
        return _run(target, url, chosen, expected, token, ready_timeout_s)
    from shipyard.delivery.ephemeral import ephemeral_server

    with ephemeral_server(expected, workspace=ws) as local:
        return _run(target, local, chosen, expected, token, ready_timeout_s)


def _run(
    target: str,
    url: str,
    cases: Sequence[SmokeCase],
    expected: str,
    token: str | None,
    ready_timeout_s: float,
) -> SmokeReport:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/")
    with http_client(base, headers=headers, timeout=30.0) as client:
        ready, why = _wait_ready(client, ready_timeout_s)
        if not ready:
            return SmokeReport(target, base, expected, False, problems=(why,))
        results = tuple(_run_case(client, case, expected) for case in cases if case.inputs)
    return SmokeReport(target, base, expected, True, results)


def _wait_ready(client: httpx.Client, timeout_s: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while True:
        try:
            response = client.get("/health/ready")
            if response.status_code == 200:
                return True, ""
            last = f"/health/ready answered {response.status_code}"
        except httpx.HTTPError as exc:
            last = f"cannot reach the server: {exc}"
        if time.monotonic() >= deadline:
            return False, f"the server was not ready within {timeout_s:g} s ({last})"
        time.sleep(0.2)


def _run_case(client: httpx.Client, case: SmokeCase, expected: str) -> CaseResult:
    started = time.perf_counter()
    try:
        response = client.post("/predict", json={"instances": list(case.inputs)})
    except httpx.HTTPError as exc:
        return CaseResult(case.name, False, None, None, (f"request failed: {exc}",))
    latency = (time.perf_counter() - started) * 1000.0
    problems: list[str] = []
    predictions: list[Any] | None = None
    if response.status_code != 200:
        problems.append(f"status {response.status_code}: {response.text[:300]}")
    else:
        predictions, contract = _contract(response, len(case.inputs), expected)
        problems.extend(contract)
        if predictions is not None:
            problems.extend(_expectations(case, predictions))
    if latency > case.latency_ms:
        problems.append(f"took {latency:.0f} ms, over its budget of {case.latency_ms:g} ms")
    return CaseResult(
        case.name, not problems, response.status_code, round(latency, 2), tuple(problems),
        predictions,
    )  # fmt: skip


def _contract(
    response: httpx.Response, rows: int, expected: str
) -> tuple[list[Any] | None, list[str]]:
    problems = []
    try:
        body = response.json()
    except ValueError:
        return None, ["the body is not JSON"]
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list):
        return None, ["the body has no list of predictions"]
    if len(predictions) != rows:
        problems.append(f"{len(predictions)} predictions for {rows} rows")
    bad = [i for i, value in enumerate(predictions) if not _plain(value)]
    if bad:
        problems.append(f"prediction {bad[0]} is not a plain, finite JSON value")
    if not body.get("request_id"):
        problems.append("the body names no request_id")
    answered = response.headers.get("x-shipyard-version")
    if answered != expected:
        problems.append(f"x-shipyard-version is {answered!r}, expected {expected!r}")
    return predictions, problems


def _plain(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, bool | str | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if depth < 3 and isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if depth < 3 and isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _expectations(case: SmokeCase, predictions: list[Any]) -> list[str]:
    problems = []
    if case.expect is not None:
        wanted = case.expect if isinstance(case.expect, list) else [case.expect] * len(predictions)
        for row, (got, want) in enumerate(zip(predictions, wanted, strict=False)):
            if got != want:
                problems.append(f"row {row}: predicted {got!r}, expected {want!r}")
    if case.expect_range is not None:
        low, high = case.expect_range
        for row, got in enumerate(predictions):
            if isinstance(got, bool) or not isinstance(got, int | float) or not low <= got <= high:
                problems.append(f"row {row}: predicted {got!r}, expected within [{low}, {high}]")
    if case.expect_type is not None:
        kinds = JSON_TYPES[case.expect_type]
        for row, got in enumerate(predictions):
            if (isinstance(got, bool) and case.expect_type != "boolean") or not isinstance(
                got, kinds
            ):
                problems.append(f"row {row}: predicted {got!r}, expected a {case.expect_type}")
    return problems
