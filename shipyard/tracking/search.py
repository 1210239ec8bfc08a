"""Reading runs back: :func:`get_run` and :func:`search_runs`, in the shape MLflow users know.

The filter language is documented in docs/api.md (and ``shipyard._store.run_filter``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import orjson

from shipyard._store.metric_series import XAxis, metric_series as _series
from shipyard._store.records import ArtifactRecord, MetricPoint, MetricSeries, RunRecord
from shipyard._store.run_filter import parse_filter
from shipyard._store.run_search import parse_order_by, search
from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import UsageError
from shipyard.core.hashing import sha256_bytes
from shipyard.core.settings import Settings

MAX_RESULTS = 1000


@dataclass(frozen=True)
class RunPage:
    """One page of :func:`search_runs`: the runs, and the token of the next page (None on the
    last). Iterating a page gives its runs."""

    runs: tuple[RunRecord, ...]
    next_page_token: str | None

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)


def _check_run_id(run_id: object) -> None:
    if not isinstance(run_id, str) or not run_id:
        raise UsageError(
            f"A run id is a non-empty string, not {run_id!r}.",
            hint="Copy it from `shipyard runs list` or a run's `.id`.",
        )


def get_run(
    run_id: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> RunRecord:
    """A run with its params, tags and each metric's latest value; an unknown id raises
    :class:`NotFoundError`."""
    _check_run_id(run_id)
    ws = workspace or workspace_for(settings)
    run = ws.runs.get(run_id)
    return RunRecord(**{**vars(run), "metrics": ws.runs.latest_metrics([run_id])[run_id]})


def get_metric_history(
    run_id: str,
    key: str | None = None,
    *,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> list[MetricPoint]:
    """Every logged point of a run's metric ``key`` (every metric when None), by step."""
    _check_run_id(run_id)
    ws = workspace or workspace_for(settings)
    ws.runs.get(run_id)
    return ws.runs.metric_history(run_id, key)


MAX_BUCKETS = 100_000


def metric_series(
    run_id: str,
    key: str,
    *,
    max_points: int = 2000,
    x_axis: XAxis = "step",
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> MetricSeries:
    """A run's metric ``key`` downsampled in the store to at most ``max_points`` buckets of
    the x axis (``"step"`` or ``"time"``), each keeping its lowest, highest and last value, so
    a million-point series draws quickly and keeps its spikes."""
    _check_run_id(run_id)
    if not isinstance(max_points, int) or not 1 <= max_points <= MAX_BUCKETS:
        raise UsageError(
            f"max_points is a whole number from 1 to {MAX_BUCKETS:,}, not {max_points!r}.",
            hint="A chart needs about one bucket per pixel: 2000 is plenty.",
        )
    if x_axis not in ("step", "time"):
        raise UsageError(f"x_axis is 'step' or 'time', not {x_axis!r}.", hint="Use x_axis='step'.")
    ws = workspace or workspace_for(settings)
    ws.runs.get(run_id)
    return _series(ws.db, run_id, key, buckets=max_points, x_axis=x_axis)


def list_artifacts(
    run_id: str, *, workspace: Workspace | None = None, settings: Settings | None = None
) -> list[ArtifactRecord]:
    """The artifacts a run logged (files, folders, model packages), by name."""
    _check_run_id(run_id)
    ws = workspace or workspace_for(settings)
    ws.runs.get(run_id)
    return ws.runs.artifacts(run_id)


def search_runs(
    filter: str | None = None,
    *,
    order_by: Sequence[str] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
    offset: int | None = None,
    workspace: Workspace | None = None,
    settings: Settings | None = None,
) -> RunPage:
    """Runs matching ``filter``, one page at a time.

    ``filter`` is clauses joined by ``and``, e.g. ``params.C = '1.0' and metrics.auc > 0.8
    and status = 'finished' and start_time > '2026-01-01'`` (docs/api.md has the language).
    ``order_by`` lists ``FIELD [ASC|DESC]`` (``metrics.auc DESC``, ``start_time``); runs are
    newest first after that. Pass the page's ``next_page_token`` back as ``page_token`` for
    the next page, or ask for a page by ``offset``. Only one page is ever loaded."""
    if filter is not None and not isinstance(filter, str):
        raise UsageError(
            f"A run filter is text, not {type(filter).__name__}.",
            hint='For example search_runs("metrics.auc > 0.8").',
        )
    if not 1 <= max_results <= MAX_RESULTS:
        raise UsageError(f"max_results must be between 1 and {MAX_RESULTS}, not {max_results}.")
    if page_token is not None and offset is not None:
        raise UsageError("Pass page_token or offset, not both.")
    clauses, orderings = parse_filter(filter), parse_order_by(order_by)
    query = _query_hash(filter, order_by)
    start = _token_offset(page_token, query) if page_token is not None else offset or 0
    if start < 0:
        raise UsageError(f"offset must be 0 or more, not {start}.")
    ws = workspace or workspace_for(settings)
    runs, more = search(ws.db, clauses, orderings, limit=max_results, offset=start)
    token = _token(start + len(runs), query) if more else None
    return RunPage(tuple(runs), token)


def _query_hash(filter: str | None, order_by: Sequence[str] | None) -> str:
    return sha256_bytes(orjson.dumps([filter or "", list(order_by or ())]))[:16]


def _token(offset: int, query: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"offset": offset, "query": query})).decode()


def _token_offset(token: str, query: str) -> int:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        offset, made_for = data["offset"], data["query"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise UsageError(
            "The page token is not one search_runs gave.", hint="Start again without a token."
        ) from None
    if made_for != query or not isinstance(offset, int):
        raise UsageError(
            "The page token belongs to another filter or ordering.",
            hint="Pass the same filter and order_by as the search that gave the token.",
        )
    return offset
