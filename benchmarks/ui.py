"""UI benchmark: the runs list, a million-step metric and the runs page, Shipyard vs MLflow.

One data set, written into both stores in bulk: 10,000 finished runs with 20 params and 10
metrics (3 steps each), and one run holding a 1,000,000-step metric. The run ids are the same
on both sides, so the pages they return are compared run by run. Measured in this same run,
alternating the sides at least 3 times, medians quoted:

- the runs list: the first 100 runs filtered by a param and sorted by a metric, as a server
  request (Shipyard ``GET /api/runs?filter=…&order_by=…&max_results=100`` vs MLflow's REST
  ``runs/search``) and as a library call (``sy.search_runs`` vs ``MlflowClient.search_runs``);
- the long series ready to draw: Shipyard downsampled with min/max kept
  (``GET /api/runs/{id}/metrics/{key}?max_points=2000``, ``sy.metric_series``) vs MLflow's
  ``metrics/get-history`` (``MlflowClient.get_metric_history``), which returns every point;
- the browser: headless Chromium loads Shipyard's ``/runs`` until ``table#runs tbody tr`` is
  visible, and MLflow UI's runs page of the experiment until its rows are.

Where ``shipyard.ui`` is not installed, the server and browser rows are skipped with a message
and only the library rows (and MLflow's server figures) are measured.

Run with ``make bench NAME=ui``; ``--runs 1000 --long-steps 100000 --repeats 1`` for a quick
smoke run (development only).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import (
    emit_result,
    environment_line,
    fresh_dir,
    note,
    peer_environment,
    print_table,
    ratio,
    rounded,
)
from _ui_data import LONG_KEY, Data, Options, fill_mlflow, fill_shipyard, make_data

FILTER_PARAM, SORT_METRIC = "p00", "m0"
FILTER = f"params.{FILTER_PARAM} = '3'"
ORDER_BY = f"metrics.{SORT_METRIC} DESC"
PAGE, MAX_POINTS = 100, 2000
CHROMIUM = "/usr/bin/chromium"
START_SECONDS = 600  # a loaded machine starts MLflow's server slowly
#: MLflow's server also starts background job workers (huey) that no query here uses
MLFLOW_SERVER_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(
    command: list[str], port: int, ready_path: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[int]:
    """Run ``command`` in a session of its own until ``GET ready_path`` on ``port`` answers;
    then stop it and whatever it started (its process group, by the id it was given)."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited: see {log}\n{log.read_text()[-2000:]}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    status, _ = request(port, "GET", ready_path)
                    if status < 500:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{command[0]} did not start in {START_SECONDS} s: see {log}"
                    )
                time.sleep(0.2)
            yield port
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def request(port: int, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed_request(port: int, method: str, path: str, body: Any = None) -> tuple[float, bytes]:
    """Seconds from sending the request until the whole response body is read."""
    start = time.perf_counter()
    status, content = request(port, method, path, body)
    seconds = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status}: {content[:300]!r}")
    return seconds, content


# -- measuring --------------------------------------------------------------------------------


def alternate(
    sides: dict[str, Callable[[], float]], repeats: int, *, warm_up: bool = True
) -> dict[str, float]:
    """Call each side once to warm up (unless a call is long enough not to need it), then
    ``repeats`` rounds alternating the sides; the median seconds of each."""
    for fn in sides.values() if warm_up else ():
        fn()
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            seconds[name].append(fn())
    return {name: statistics.median(values) for name, values in seconds.items()}


def clock(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def library_rows(
    shipyard_url: str, mlflow_uri: str, experiment: str, data: Data, repeats: int
) -> dict[str, float]:
    import mlflow
    from mlflow.tracking import MlflowClient

    import shipyard as sy
    from shipyard._store.workspace import Workspace
    from shipyard.core.settings import load_settings

    mlflow.set_tracking_uri(mlflow_uri)
    client = MlflowClient(tracking_uri=mlflow_uri)
    workspace = Workspace(load_settings(store_url=shipyard_url, capture_git=False))
    ours = [
        r.id
        for r in sy.search_runs(FILTER, order_by=[ORDER_BY], max_results=PAGE, workspace=workspace)
    ]
    theirs = [
        r.info.run_id
        for r in client.search_runs([experiment], FILTER, order_by=[ORDER_BY], max_results=PAGE)
    ]
    if ours != theirs:
        raise RuntimeError("search_runs and MLflow's search_runs disagree on the page")
    search = alternate(
        {
            "shipyard": lambda: clock(
                lambda: sy.search_runs(
                    FILTER, order_by=[ORDER_BY], max_results=PAGE, workspace=workspace
                )
            ),
            "mlflow": lambda: clock(
                lambda: client.search_runs(
                    [experiment], FILTER, order_by=[ORDER_BY], max_results=PAGE
                )
            ),
        },
        repeats,
    )
    series = sy.metric_series(data.long_run, LONG_KEY, max_points=MAX_POINTS, workspace=workspace)
    if max(series.high) != max(p[2] for p in data.points if p[1] == LONG_KEY):
        raise RuntimeError("metric_series lost the long series' spike")
    history = alternate(
        {
            "shipyard": lambda: clock(
                lambda: sy.metric_series(
                    data.long_run, LONG_KEY, max_points=MAX_POINTS, workspace=workspace
                )
            ),
            "mlflow": lambda: clock(lambda: client.get_metric_history(data.long_run, LONG_KEY)),
        },
        repeats,
        warm_up=False,
    )
    workspace.close()
    return {
        "library_search_shipyard_s": search["shipyard"],
        "library_search_mlflow_s": search["mlflow"],
        "library_series_shipyard_s": history["shipyard"],
        "library_history_mlflow_s": history["mlflow"],
    }


def server_rows(
    ours: int | None, theirs: int, experiment: str, data: Data, repeats: int
) -> dict[str, float]:
    search_body = {
        "experiment_ids": [experiment],
        "filter": FILTER,
        "order_by": [ORDER_BY],
        "max_results": PAGE,
    }
    search_path = "/api/runs?" + urllib.parse.urlencode(
        {"filter": FILTER, "order_by": ORDER_BY, "max_results": PAGE}
    )
    history_path = "/api/2.0/mlflow/metrics/get-history?" + urllib.parse.urlencode(
        {"run_id": data.long_run, "metric_key": LONG_KEY}
    )
    series_path = f"/api/runs/{data.long_run}/metrics/{LONG_KEY}?max_points={MAX_POINTS}"
    _, page = timed_request(theirs, "POST", "/api/2.0/mlflow/runs/search", search_body)
    first = json.loads(page)["runs"][0]["info"]["run_id"]
    searches: dict[str, Callable[[], float]] = {
        "mlflow": lambda: timed_request(theirs, "POST", "/api/2.0/mlflow/runs/search", search_body)[
            0
        ],
    }
    histories: dict[str, Callable[[], float]] = {
        "mlflow": lambda: timed_request(theirs, "GET", history_path)[0],
    }
    if ours is not None:
        _, page = timed_request(ours, "GET", search_path)
        if first.encode() not in page:
            raise RuntimeError(f"/api/runs does not start with MLflow's first run {first}")
        searches["shipyard"] = lambda: timed_request(ours, "GET", search_path)[0]
        histories["shipyard"] = lambda: timed_request(ours, "GET", series_path)[0]
    search = alternate(searches, repeats)
    history = alternate(histories, repeats, warm_up=False)  # a million points: seconds
    figures = {
        "server_search_mlflow_s": search["mlflow"],
        "server_history_mlflow_s": history["mlflow"],
    }
    if ours is not None:
        figures["server_search_shipyard_s"] = search["shipyard"]
        figures["server_series_shipyard_s"] = history["shipyard"]
    return figures


MLFLOW_ROWS = ".ag-center-cols-container .ag-row, [role='rowgroup'] [role='row'][row-index]"


def browser_rows(ours: int, theirs: int, experiment: str, repeats: int) -> dict[str, float]:
    """Seconds from navigating to each runs page until its first row is visible, in a fresh
    browser context each time (no cache)."""
    from playwright.sync_api import sync_playwright

    pages = {
        "shipyard": (f"http://127.0.0.1:{ours}/runs", "table#runs tbody tr"),
        "mlflow": (f"http://127.0.0.1:{theirs}/#/experiments/{experiment}/runs", MLFLOW_ROWS),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)

        def load(url: str, selector: str) -> float:
            context = browser.new_context()
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.locator(selector).first.wait_for(state="visible", timeout=120_000)
            seconds = time.perf_counter() - start
            context.close()
            return seconds

        times = alternate(
            {name: (lambda u=u, s=s: load(u, s)) for name, (u, s) in pages.items()}, repeats
        )
        browser.close()
    return {"page_load_shipyard_s": times["shipyard"], "page_load_mlflow_s": times["mlflow"]}


# -- the run ----------------------------------------------------------------------------------


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--params", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3, help="steps logged per metric")
    parser.add_argument("--long-steps", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="skip the page loads")
    args = parser.parse_args()
    return Options(
        args.runs,
        args.params,
        args.metrics,
        args.steps,
        args.long_steps,
        max(1, args.repeats),
        not args.no_browser,
    )


def main() -> None:
    options = parse_options()
    peer_environment()
    note(environment_line())
    note(
        f"{options.runs:,} runs x {options.params} params x {options.metrics} metrics "
        f"({options.steps} steps each), one {options.long_steps:,}-step metric; "
        f"{options.repeats} alternating repeats, medians"
    )
    has_ui = importlib.util.find_spec("shipyard.ui") is not None
    if not has_ui:
        note(
            "shipyard.ui is not installed: skipping the server and browser rows of Shipyard "
            "(measuring the library calls, and MLflow's server alone)"
        )
    data = make_data(options)
    figures: dict[str, Any] = {"runs": options.runs, "long_steps": options.long_steps}
    with fresh_dir("ui") as folder:
        seconds_ours = clock(lambda: figures.update(url=fill_shipyard(folder / "shipyard", data)))
        seconds_theirs = clock(
            lambda: figures.update(
                zip(("uri", "experiment"), fill_mlflow(folder / "mlflow", data), strict=True)
            )
        )
        url, uri, experiment = figures.pop("url"), figures.pop("uri"), figures.pop("experiment")
        figures |= {"fill_shipyard_s": seconds_ours, "fill_mlflow_s": seconds_theirs}
        figures |= library_rows(url, uri, experiment, data, options.repeats)
        mlflow_bin = shutil.which("mlflow", path=str(Path(sys.executable).parent))
        theirs_cmd = [
            mlflow_bin or "mlflow",
            "server",
            "--backend-store-uri",
            uri,
            "--default-artifact-root",
            (folder / "mlflow" / "artifacts").as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port_theirs := free_port()),
            "--workers",
            "1",
        ]
        ours_cmd = [
            str(Path(sys.executable).parent / "shipyard"),
            "--store",
            url,
            "ui",
            "--host",
            "127.0.0.1",
            "--port",
            str(port_ours := free_port()),
        ]
        with contextlib.ExitStack() as stack:
            theirs = stack.enter_context(
                server(theirs_cmd, port_theirs, "/health", folder / "mlflow.log", MLFLOW_SERVER_ENV)
            )
            ours = (
                stack.enter_context(
                    server(
                        ours_cmd, port_ours, "/api/runs?max_results=1", folder / "shipyard-ui.log"
                    )
                )
                if has_ui
                else None
            )
            figures |= server_rows(ours, theirs, experiment, data, options.repeats)
            if ours is not None and options.browser:
                figures |= browser_rows(ours, theirs, experiment, options.repeats)
    report(figures, has_ui)


def report(figures: dict[str, Any], has_ui: bool) -> None:
    steps = f"{figures['long_steps']:,}"
    rows = [
        (
            "runs list, library",
            figures["library_search_shipyard_s"],
            figures["library_search_mlflow_s"],
        ),
        (
            "runs list, server",
            figures.get("server_search_shipyard_s", float("nan")),
            figures["server_search_mlflow_s"],
        ),
        (
            f"{steps}-step metric, library",
            figures["library_series_shipyard_s"],
            figures["library_history_mlflow_s"],
        ),
        (
            f"{steps}-step metric, server",
            figures.get("server_series_shipyard_s", float("nan")),
            figures["server_history_mlflow_s"],
        ),
        (
            "runs page in Chromium",
            figures.get("page_load_shipyard_s", float("nan")),
            figures.get("page_load_mlflow_s", float("nan")),
        ),
        ("filling the store", figures["fill_shipyard_s"], figures["fill_mlflow_s"]),
    ]
    print_table(
        "median seconds",
        ["what", "shipyard", "mlflow", "ratio"],
        [(name, ours, theirs, ours / theirs) for name, ours, theirs in rows],
    )
    ratios = {
        "library_search_vs_mlflow": ratio(
            figures["library_search_shipyard_s"], figures["library_search_mlflow_s"]
        ),
        "library_series_vs_mlflow": ratio(
            figures["library_series_shipyard_s"], figures["library_history_mlflow_s"]
        ),
    }
    if has_ui and "server_search_shipyard_s" in figures:
        ratios["runs_list_vs_mlflow"] = ratio(
            figures["server_search_shipyard_s"], figures["server_search_mlflow_s"]
        )
        ratios["metric_history_vs_mlflow"] = ratio(
            figures["server_series_shipyard_s"], figures["server_history_mlflow_s"]
        )
    if "page_load_shipyard_s" in figures:
        ratios["runs_page_load_vs_mlflow"] = ratio(
            figures["page_load_shipyard_s"], figures["page_load_mlflow_s"]
        )
    emit_result(
        "ui", {k: rounded(v) if isinstance(v, float) else v for k, v in figures.items()}, ratios
    )


if __name__ == "__main__":
    main()
