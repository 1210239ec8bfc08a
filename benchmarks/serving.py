"""Serving benchmark: single-row requests at concurrency 1, 16 and 64 against one scikit-learn
model served three ways, in this same run on this machine:

- Shipyard: ``shipyard serve NAME@production --workers 2`` (through ``serve()``, the function
  behind the command), default settings: micro-batching on, prediction log on;
- MLflow: ``mlflow models serve -m DIR --env-manager local --workers 2``;
- the floor: a minimal hand-written FastAPI endpoint on ``uvicorn --workers 2`` that turns the
  JSON records into a DataFrame and calls ``model.predict`` (the cost of a Python HTTP stack).

Two models: a Pipeline (one-hot encoder + scaler + LogisticRegression) and the same
preprocessing with a HistGradientBoostingClassifier. Each server gets a 3 s warm-up at 16
clients, then 8 s at each concurrency. Latency at one client is then measured again with
Shipyard (batching on and off) and the floor running side by side, in alternating rounds, so
that the noise of a shared 2-core machine falls on all of them alike; ``p50_c1_vs_floor`` uses
those medians. The load generator (``_http_load.py``) runs in its own process (raw HTTP/1.1
keep-alive connections on uvloop, one per concurrent client); its CPU use is reported with
every row, and its ceiling is measured against Shipyard's ``/health/live`` to show it is not
the bottleneck.

Two more references for Shipyard (``--no-limits`` skips them), in 3 alternating rounds of
start, load, stop, predict: its cold start, process start to ``/health/ready``, and the
physical limit, the model's own ``predict`` rows/s in-process on batches of the mean size the
server formed at 64 clients (read from its ``/metrics``), in as many fresh processes as the
server has workers, one native thread each. Medians: ``rps_c64_vs_predict_limit`` is the
rounds' requests/s at 64 clients over their predict rows/s.

And BentoML (``_bentoml.py``: ``bentoml serve``, adaptive batching on, as many workers):
Shipyard and BentoML are started in turn, ``--bento-rounds`` times each (3; the order flips
every round), each start timed from the process start to its readiness endpoint
(``/health/ready``, BentoML's ``/readyz``) and then loaded with 64 clients after the warm-up;
medians of the rounds give ``rps_c64_vs_bentoml`` and ``cold_start_vs_bentoml``.

And large requests (``_payloads.py``; ``--no-payloads`` skips them): 1,000 rows a request to
Shipyard, one client, as Open Inference Protocol v2 JSON tensors, as v2 binary tensors (what
tritonclient sends by default) and as ``/predict`` JSON records, alternating rounds; the figures
``MODEL_v2_json_1000_rows_ms``, ``MODEL_v2_binary_1000_rows_ms`` and ``MODEL_predict_json_…``
(median ms, rows/s and body bytes).

Run with ``make bench NAME=serving``; ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _bentoml import READY as BENTO_READY, command as bento_command, environment as bento_env
from _common import (
    compile_shipyard,
    emit_result,
    environment_line,
    fresh_dir,
    note,
    peer_environment,
    print_table as table,
    ratio,
    rounded,
)
from _http_load import free_port, run_loadgen, server
from _limits import batch_totals, import_floor, predict_limit
from _payloads import measure_payloads

LEVELS = (1, 16, 64)
WORKERS = 2
ROW = {"plan": "basic", "tenure_months": 7, "monthly_charges": 81.5, "support_calls": 3}
TOOLS = ("shipyard", "floor", "mlflow")
TRUSTED = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
"""The one skops type a HistGradientBoosting model needs trusted (both Shipyard and MLflow)."""

FLOOR_APP = """
import pickle
import pandas as pd
from fastapi import FastAPI, Request

with open({path!r}, "rb") as handle:
    model = pickle.load(handle)
app = FastAPI()


@app.get("/health")
async def health():
    return {{"ok": True}}


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    return {{"predictions": model.predict(pd.DataFrame(body["instances"])).tolist()}}
"""


# -- models and servers ------------------------------------------------------------------------


def make_models() -> tuple[Any, dict[str, Any]]:
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    rows = 5_000
    frame = pd.DataFrame({
        "plan": rng.choice(["basic", "standard", "premium"], rows),
        "tenure_months": rng.integers(1, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).round(2),
        "support_calls": rng.poisson(1.5, rows),
    })  # fmt: skip
    label = ((frame["support_calls"] * 0.6 - frame["tenure_months"] * 0.05
              + (frame["plan"] == "basic") * 0.7) > 0).astype(int)  # fmt: skip
    numbers = ["tenure_months", "monthly_charges", "support_calls"]

    def pipeline(classifier: Any) -> Any:
        prepare = ColumnTransformer(
            [("plan", OneHotEncoder(), ["plan"]), ("numbers", StandardScaler(), numbers)]
        )
        return Pipeline([("prepare", prepare), ("classify", classifier)]).fit(frame, label)

    models = {
        "lr": pipeline(LogisticRegression(max_iter=500)),
        "hgb": pipeline(HistGradientBoostingClassifier(max_iter=100, random_state=0)),
    }
    return frame, models


def launch(tool: str, model: str, root: Path, options: argparse.Namespace,
           batching: bool = True) -> Any:  # fmt: skip
    port = free_port()
    env = {"SHIPYARD_HOME": str(root / "shipyard"), "SHIPYARD_CAPTURE_GIT": "false",
           "SHIPYARD_CAPTURE_PACKAGES": "false", "SHIPYARD_TRUSTED_TYPES": json.dumps(TRUSTED),
           "PATH": f"{Path(sys.executable).parent}:"
           f"{os.environ.get('PATH', '')}"}  # fmt: skip
    log = root / f"{tool}-{model}-{port}.log"
    if tool == "shipyard":
        code = (f"from shipyard.serving.online import serve; serve('churn-{model}@production', "
                f"workers={options.workers}, port={port}, batching={batching})")  # fmt: skip
        return server([sys.executable, "-c", code], port, "/health/ready", root, env, log)
    if tool == "floor":
        command = [sys.executable, "-m", "uvicorn", f"floor_{model}:app", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(options.workers), "--no-access-log",
                   "--log-level", "warning"]  # fmt: skip
        return server(command, port, "/health", root, env, log)
    if tool == "bentoml":
        command = bento_command(root, model, port, options.workers)
        return server(command, port, BENTO_READY, root, {**env, **bento_env(root)}, log)
    command = [str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m",
               str(root / f"mlflow-{model}"), "--env-manager", "local", "-h", "127.0.0.1",
               "-p", str(port), "--workers", str(options.workers)]  # fmt: skip
    return server(command, port, "/ping", root, env, log)


ENDPOINTS = {"shipyard": "/predict", "floor": "/predict", "mlflow": "/invocations",
             "bentoml": "/predict"}  # fmt: skip


def body_for(tool: str) -> str:
    key = "dataframe_records" if tool == "mlflow" else "instances"
    return json.dumps({key: [ROW]})


def prepare(root: Path) -> None:
    import shipyard as sy
    from shipyard._store.workspace import Workspace

    frame, models = make_models()
    frame.head(1_000).to_parquet(root / "rows.parquet")  # the large requests' rows
    settings = sy.load_settings(home=root / "shipyard", capture_git=False, capture_packages=False)
    workspace = Workspace(settings)
    for name, model in models.items():
        with sy.start_run(f"bench-{name}", workspace=workspace) as run:
            run.log_model(model, f"churn-{name}", input_example=frame.head(5))
        sy.promote(f"churn-{name}", 1, "production", workspace=workspace)
        with (root / f"model-{name}.pkl").open("wb") as handle:
            pickle.dump(model, handle)
        (root / f"floor_{name}.py").write_text(
            FLOOR_APP.format(path=str(root / f"model-{name}.pkl"))
        )
    workspace.close()
    peer_environment()
    warnings.filterwarnings("ignore", module="mlflow")
    import mlflow.sklearn

    for name, model in models.items():
        mlflow.sklearn.save_model(
            model, str(root / f"mlflow-{name}"), input_example=frame.head(5),
            skops_trusted_types=TRUSTED if name == "hgb" else None,
        )  # fmt: skip


# -- measuring and reporting -------------------------------------------------------------------


def measure(tool: str, model: str, root: Path, options: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with launch(tool, model, root, options) as running:
        run_loadgen(running.port, ENDPOINTS[tool], body_for(tool), 16, options.warmup)
        for level in options.levels:
            before = batch_totals(running.port) if tool == "shipyard" else None
            results[f"c{level}"] = run_loadgen(running.port, ENDPOINTS[tool], body_for(tool),
                                               level, options.seconds)  # fmt: skip
            if before is not None:  # the mean batch the server formed at this level
                after = batch_totals(running.port)
                calls = max(after[1] - before[1], 1.0)
                results[f"c{level}"]["batch"] = (after[0] - before[0]) / calls
        if tool == "shipyard" and model == "lr":
            results["ceiling"] = run_loadgen(running.port, "/health/live", "", 64, 4)
    note(f"  measured {tool} / {model}")
    return results


def payloads(model: str, root: Path, options: argparse.Namespace) -> dict[str, float]:
    """1,000-row requests to Shipyard as v2 JSON, v2 binary tensors and /predict JSON
    (``_payloads.py``), one client, alternating rounds: median ms and rows/s of each."""
    import pandas as pd

    frame = pd.read_parquet(root / "rows.parquet")
    with launch("shipyard", model, root, options) as running:
        found = measure_payloads(running.port, f"churn-{model}", frame)
    note(f"  measured 1,000-row requests for {model}")
    return {f"{model}_{key}": value for key, value in found.items()}


def c1_interleaved(model: str, root: Path, options: argparse.Namespace) -> dict[str, float]:
    """p50 at concurrency 1, Shipyard (batching on and off) and the floor running side by side
    and measured in alternating rounds, so machine noise falls on all three alike (the order
    rotates every round, so none is always first); the median of the rounds' p50s for each."""
    with ExitStack() as stack:
        servers = {
            "shipyard": stack.enter_context(launch("shipyard", model, root, options)),
            "shipyard_unbatched": stack.enter_context(
                launch("shipyard", model, root, options, batching=False)
            ),
            "floor": stack.enter_context(launch("floor", model, root, options)),
        }
        rounds: dict[str, list[float]] = {name: [] for name in servers}
        for name, running in servers.items():
            tool = "floor" if name == "floor" else "shipyard"
            run_loadgen(running.port, ENDPOINTS[tool], body_for(tool), 1, options.warmup)
        names = list(servers)
        for number in range(options.rounds):
            turn = number % len(names)
            for name in names[turn:] + names[:turn]:
                running = servers[name]
                tool = "floor" if name == "floor" else "shipyard"
                result = run_loadgen(running.port, ENDPOINTS[tool], body_for(tool), 1,
                                     options.seconds / 4)  # fmt: skip
                rounds[name].append(result["p50_ms"])
    note(f"  measured p50 at c1 for {model}, interleaved")
    return {name: statistics.median(values) for name, values in rounds.items()}


def limits(model: str, root: Path, options: argparse.Namespace, runs: int = 3) -> dict[str, float]:
    """Shipyard's cold start and the physical limit, in ``runs`` alternating rounds: start the
    server (timed to ``/health/ready``), warm it up, load it with 64 clients (requests/s and
    the mean batch it formed), stop it, then measure in-process predict rows/s on batches of
    that size. Medians of each; alternating keeps the machine's load swings from landing on
    one side only."""
    starts, served, batches, limits_ = [], [], [], []
    for _ in range(runs):
        with launch("shipyard", model, root, options) as running:
            starts.append(running.ready_s)
            run_loadgen(running.port, "/predict", body_for("shipyard"), 16, options.warmup)
            before = batch_totals(running.port)
            served.append(run_loadgen(running.port, "/predict", body_for("shipyard"), 64,
                                      options.seconds)["rps"])  # fmt: skip
            after = batch_totals(running.port)
        batches.append((after[0] - before[0]) / max(after[1] - before[1], 1.0))
        size = max(1, round(batches[-1]))
        limits_.append(predict_limit(root / f"model-{model}.pkl", ROW, size, options.workers,
                                     seconds=min(options.seconds, 4.0)))  # fmt: skip
        note(f"    round: {served[-1]:.0f} req/s in batches of {batches[-1]:.1f}, predict "
             f"{limits_[-1]:.0f} rows/s")  # fmt: skip
    rps, limit = statistics.median(served), statistics.median(limits_)
    note(f"  measured cold start and the predict limit for {model} in {runs} rounds: "
         f"{rounded(rps)} req/s at 64 clients, batches of {statistics.median(batches):.1f}, "
         f"predict {rounded(limit)} rows/s")  # fmt: skip
    return {f"{model}_shipyard_cold_start_s": rounded(statistics.median(starts)),
            f"{model}_served_batch_c64": rounded(statistics.median(batches)),
            f"{model}_limit_rounds_rps_c64": rounded(rps),
            f"{model}_predict_limit_rows_per_s": rounded(limit),
            f"{model}_rps_c64_vs_predict_limit": ratio(rps, limit)}  # fmt: skip


def versus_bentoml(model: str, root: Path, options: argparse.Namespace) -> dict[str, float]:
    """Shipyard and BentoML started in turn (the order flips every round): seconds from the
    process start to ready, then requests/s at 64 clients after the warm-up; medians. Each
    round also times the import floor: a process that only imports pandas and unpickles the
    model, which both servers pay before anything of their own."""
    tools = ("shipyard", "bentoml")
    keys = ("ready", "rps", "p50", "p99", "errors")
    seen: dict[str, dict[str, list[float]]] = {t: {k: [] for k in keys} for t in tools}
    floors: list[float] = []
    for number in range(options.bento_rounds):
        floors.append(import_floor(root / f"model-{model}.pkl", dict(os.environ)))
        for tool in tools if number % 2 == 0 else tools[::-1]:
            with launch(tool, model, root, options) as running:
                run_loadgen(running.port, ENDPOINTS[tool], body_for(tool), 16, options.warmup)
                r = run_loadgen(running.port, ENDPOINTS[tool], body_for(tool), 64,
                                options.seconds)  # fmt: skip
            for key, value in (("ready", running.ready_s), ("rps", r["rps"]),
                               ("p50", r["p50_ms"]), ("p99", r["p99_ms"]),
                               ("errors", r["errors"])):  # fmt: skip
                seen[tool][key].append(value)
            note(f"  round {number + 1}: {tool} / {model}: ready in {running.ready_s:.2f} s, "
                 f"{r['rps']:.0f} req/s at 64 clients")  # fmt: skip
    figures: dict[str, float] = {}
    for tool, values in seen.items():
        figures[f"{model}_{tool}_vs_bento_cold_start_s"] = rounded(
            statistics.median(values["ready"])
        )
        figures[f"{model}_{tool}_vs_bento_rps_c64"] = rounded(statistics.median(values["rps"]))
        figures[f"{model}_{tool}_vs_bento_p50_ms_c64"] = rounded(statistics.median(values["p50"]))
        figures[f"{model}_{tool}_vs_bento_p99_ms_c64"] = rounded(statistics.median(values["p99"]))
        figures[f"{model}_{tool}_vs_bento_errors"] = sum(values["errors"])
    figures[f"{model}_rps_c64_vs_bentoml"] = ratio(
        figures[f"{model}_shipyard_vs_bento_rps_c64"], figures[f"{model}_bentoml_vs_bento_rps_c64"]
    )
    figures[f"{model}_cold_start_vs_bentoml"] = ratio(
        figures[f"{model}_shipyard_vs_bento_cold_start_s"],
        figures[f"{model}_bentoml_vs_bento_cold_start_s"],
    )
    figures[f"{model}_import_floor_s"] = rounded(statistics.median(floors))
    figures[f"{model}_import_floor_vs_bentoml"] = ratio(
        figures[f"{model}_import_floor_s"], figures[f"{model}_bentoml_vs_bento_cold_start_s"]
    )
    return figures


def versus_others(model: str, all_results: dict[str, dict[str, Any]],
                  latency: dict[str, dict[str, float]], figures: dict[str, Any],
                  options: argparse.Namespace) -> dict[str, float]:  # fmt: skip
    """The ratios against MLflow and the floor, when all three servers were measured."""
    found = {tool: all_results.get(f"{tool}/{model}") for tool in TOOLS}
    if not all(found.values()) or 64 not in options.levels or 1 not in options.levels:
        return {}
    s, f, m = (found[t] for t in TOOLS)
    assert s is not None and f is not None and m is not None
    mine = {"rps_c64_vs_mlflow": ratio(s["c64"]["rps"], m["c64"]["rps"]),
            "rps_c64_vs_floor": ratio(s["c64"]["rps"], f["c64"]["rps"])}  # fmt: skip
    side = latency.get(model)
    if side is not None:
        mine["p50_c1_vs_floor"] = ratio(side["shipyard"], side["floor"])
        figures[f"{model}_p50_c1_batching_on_vs_off"] = ratio(
            side["shipyard"], side["shipyard_unbatched"]
        )
    else:
        mine["p50_c1_vs_floor"] = ratio(s["c1"]["p50_ms"], f["c1"]["p50_ms"])
    return mine


def report(all_results: dict[str, dict[str, Any]], latency: dict[str, dict[str, float]],
           extra: dict[str, Any], options: argparse.Namespace) -> None:  # fmt: skip
    rows = []
    figures: dict[str, Any] = {}
    for key, results in all_results.items():
        tool, model = key.split("/")
        for level in options.levels:
            r = results[f"c{level}"]
            cpu = f"{r['loadgen_cpu']:.0%}"
            rows.append([model, tool, level, round(r["rps"], 1), round(r["p50_ms"], 2),
                         round(r["p99_ms"], 2), r["errors"], cpu])  # fmt: skip
            for field in ("rps", "p50_ms", "p99_ms"):
                figures[f"{model}_{tool}_{field}_c{level}"] = rounded(r[field])
    table(f"Single-row requests ({options.workers} workers each)",
          ["model", "server", "clients", "req/s", "p50 ms", "p99 ms", "errors", "loadgen CPU"],
          rows)  # fmt: skip
    if latency:
        table(f"p50 ms at 1 client, side by side in {options.rounds} alternating rounds "
              "(median of the rounds)",
              ["model", "shipyard", "shipyard, batching off", "floor"],
              [[model, round(v["shipyard"], 3), round(v["shipyard_unbatched"], 3),
                round(v["floor"], 3)] for model, v in latency.items()])  # fmt: skip
        for model, values in latency.items():
            for name, value in values.items():
                figures[f"{model}_{name}_p50_ms_c1_interleaved"] = rounded(value)
    ratios: dict[str, float] = {}
    for model in options.models:
        mine = versus_others(model, all_results, latency, figures, options)
        for key in ("rps_c64_vs_predict_limit", "rps_c64_vs_bentoml", "cold_start_vs_bentoml"):
            if f"{model}_{key}" in extra:
                mine[key] = extra[f"{model}_{key}"]
        if not mine:
            continue
        if model == "lr":
            ratios.update(mine)
        else:
            figures[f"{model}_ratios"] = mine
    figures.update(extra)
    print()
    for key, value in extra.items():
        note(f"{key}: {value}")
    columns = ("cold_start_s", "rps_c64", "p50_ms_c64", "p99_ms_c64", "errors")
    bento = [[model, tool, *(extra[f"{model}_{tool}_vs_bento_{c}"] for c in columns)]
             for model in options.models for tool in ("shipyard", "bentoml")
             if f"{model}_{tool}_vs_bento_rps_c64" in extra]  # fmt: skip
    if bento:
        table(f"Shipyard vs BentoML, started in turn {options.bento_rounds} times each "
              "(medians): seconds to ready, then 64 clients",
              ["model", "server", "ready s", "req/s", "p50 ms", "p99 ms", "errors"],
              bento)  # fmt: skip
        for model in options.models:
            floor = extra.get(f"{model}_import_floor_s")
            if floor is not None:
                share = extra[f"{model}_import_floor_vs_bentoml"]
                note(f"{model}: the import floor (a process that imports pandas and unpickles "
                     f"the model) took {floor:.2f} s, {share:.2f} of BentoML's start")  # fmt: skip
    note("Ratios (targets): rps_c64_vs_mlflow >= 3, rps_c64_vs_floor >= 1.5, "
         "p50_c1_vs_floor <= 1.2, rps_c64_vs_predict_limit >= 0.5, rps_c64_vs_bentoml >= 2, "
         "cold_start_vs_bentoml <= 0.5 (LogisticRegression pipeline; HistGradientBoosting "
         "under figures.hgb_ratios).")  # fmt: skip
    emit_result("serving", figures, ratios)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        default=list(LEVELS))  # fmt: skip
    parser.add_argument("--models", type=lambda s: s.split(","), default=["lr", "hgb"])
    parser.add_argument("--tools", type=lambda s: s.split(","), default=list(TOOLS))
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds at c1")
    parser.add_argument("--bento-rounds", type=int, default=3,
                        help="Shipyard and BentoML started in turn this many times each "
                        "(0 skips BentoML)")  # fmt: skip
    parser.add_argument(
        "--no-payloads",
        dest="payloads",
        action="store_false",
        help="skip the 1,000-row requests (JSON against binary tensors)",
    )
    parser.add_argument("--no-limits", dest="limits", action="store_false",
                        help="skip cold start and the in-process predict limit")  # fmt: skip
    return parser.parse_args()


def main() -> None:
    options = parse()
    peer_environment()
    compile_shipyard()  # its start-up is measured: without compiled modules it would compile
    note(f"Serving benchmark — {environment_line()}, {options.workers} workers per server, "
         f"{options.seconds:g} s per level")  # fmt: skip
    with fresh_dir("serving") as root:
        prepare(root)
        results: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        for model in options.models:
            for tool in options.tools:
                results[f"{tool}/{model}"] = measure(tool, model, root, options)
        lr = results.get("shipyard/lr")
        if lr is not None and "ceiling" in lr:
            best = max(r[f"c{level}"]["rps"] for r in results.values() for level in options.levels)
            extra["loadgen_ceiling_rps"] = rounded(lr["ceiling"]["rps"])
            extra["loadgen_ceiling_vs_best_measured"] = ratio(lr["ceiling"]["rps"], best)
            extra["loadgen_max_cpu"] = rounded(max(r[f"c{level}"]["loadgen_cpu"]
                                                   for r in results.values()
                                                   for level in options.levels))  # fmt: skip
        for model in options.models:
            served = results.get(f"shipyard/{model}")
            if served is not None and "c64" in served and options.limits:
                extra.update(limits(model, root, options))
        if options.bento_rounds > 0:
            for model in options.models:
                extra.update(versus_bentoml(model, root, options))
        if options.payloads and "shipyard" in options.tools:
            for model in options.models:
                extra.update(payloads(model, root, options))
        latency: dict[str, dict[str, float]] = {}
        if {"shipyard", "floor"} <= set(options.tools) and options.rounds > 0:
            for model in options.models:
                latency[model] = c1_interleaved(model, root, options)
        report(results, latency, extra, options)


if __name__ == "__main__":
    main()
