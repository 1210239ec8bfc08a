"""The web UI part of `make demo`: `shipyard ui` on the demo workspace, every page
photographed by headless Chromium (one browser, one page) into .demo/ui/, then stopped.

``examples/demo.py`` calls ``run(step, first)``; it also runs alone (after the demo has built
its workspace): ``python examples/demo_ui.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
SHOTS = DEMO / "ui"
CHROMIUM = "/usr/bin/chromium"
LISTS = {"home": "/", "runs": "/runs", "models": "/models", "datasets": "/datasets",
         "deployments": "/deployments", "monitoring": "/monitoring", "audit": "/audit",
         "rollouts": "/rollouts", "scorecard": "/scorecard"}  # fmt: skip
"""The pages that need no name; ``pages`` adds one of each kind that does."""


def start(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`shipyard --home HOME ui --port 0` in the background, and its URL once it serves."""
    ready = SHOTS / "url.txt"
    ready.unlink(missing_ok=True)
    command = [str(Path(sys.executable).with_name("shipyard")), "--home", str(home), "ui",
               "--port", "0", "--read-only", "--ready-file", str(ready)]  # fmt: skip
    print("$ shipyard --home .demo/.shipyard ui --port 0 --read-only", flush=True)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("shipyard ui did not start")
        time.sleep(0.05)
    return process, ready.read_text().strip()


def pages(url: str) -> dict[str, str]:
    """Every page to photograph, by file name: the lists, and one page of each kind that shows
    one thing (the newest run, two runs compared, a model with aliases and its newest
    version, a dataset and its newest version, a monitored deployment and its monitoring,
    the newest rollout), found through the pages' JSON twins."""
    found = dict(LISTS)

    def api(path: str, **params: object) -> Any:
        reply = httpx.get(f"{url}/api{path}", params=params, timeout=60)
        reply.raise_for_status()
        return reply.json()

    runs = [r["id"] for r in api("/runs", max_results=2)["runs"]]
    if runs:
        found["run"] = f"/runs/{runs[0]}"
        found["compare"] = f"/compare?runs={','.join(runs)}"
    models = sorted(api("/models")["models"], key=lambda m: not m["aliases"])
    if models:
        found["model"] = f"/models/{models[0]['name']}"
        if models[0]["latest_version"]:
            found["model-version"] = f"{found['model']}/versions/{models[0]['latest_version']}"
    datasets = api("/datasets")["datasets"]
    if datasets:
        found["dataset"] = f"/datasets/{datasets[0]['name']}"
        if datasets[0]["latest_version"]:
            found["dataset-version"] = f"{found['dataset']}/{datasets[0]['latest_version']}"
    names = [d["name"] for d in api("/deployments")["deployments"]]
    monitored = [n for n in names if api(f"/monitoring/{n}")["windows"]]
    if names:  # one that was monitored, if any
        found["deployment"] = f"/deployments/{(monitored or names)[0]}"
        found["deployment-monitoring"] = f"/monitoring/{(monitored or names)[0]}"
    rollouts = api("/rollouts")["rollouts"]
    if rollouts:
        found["rollout"] = f"/rollouts/{rollouts[0]['id']}"
    return found


def screenshots(url: str) -> list[Path]:
    """Each page as a PNG once its charts have drawn: one browser, one page, reused."""
    if not Path(CHROMIUM).exists():
        print("  (chromium is not installed: `make test` installs it; no screenshots taken)")
        return []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  (playwright is not installed; no screenshots taken)")
        return []
    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in pages(url).items():
            page.goto(url + path, wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.metric-chart')].every(c => c.dataset.drawn)"
            )
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            taken.append(SHOTS / f"{name}.png")
        browser.close()
    return taken


def run(step: Callable[[int, str], None], first: int) -> int:
    step(first, "The web UI: runs, models, data, deployments and monitoring in a browser")
    SHOTS.mkdir(parents=True, exist_ok=True)
    home = Path(os.environ.get("SHIPYARD_HOME", DEMO / ".shipyard"))
    process, url = start(home)
    try:
        runs = httpx.get(f"{url}/api/runs", params={"max_results": 5}).json()["runs"]
        print(f"  serving {url}; /api/runs gives the same rows as JSON ({len(runs)} shown)")
        started = time.perf_counter()
        shots = screenshots(url)
        if shots:
            print(f"  {len(shots)} pages photographed in {time.perf_counter() - started:.1f} s "
                  f"(one browser) into {SHOTS.relative_to(ROOT)}/:")  # fmt: skip
            print("   ", ", ".join(shot.name for shot in shots))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    print(
        "  stopped. Open it again with: shipyard --home .demo/.shipyard ui  (then "
        "http://127.0.0.1:5050)"
    )
    return first + 1


if __name__ == "__main__":
    run(lambda n, text: print(f"\n==> [{n}] {text}", flush=True), 1)
