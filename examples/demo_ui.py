"""The web UI part of `make demo`: `shipyard ui` on the demo workspace, three pages
photographed by headless Chromium into .demo/ui/, then stopped.

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

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".demo"
SHOTS = DEMO / "ui"
CHROMIUM = "/usr/bin/chromium"
PAGES = {"home.png": "/", "runs.png": "/runs", "model.png": "/models/churn"}


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


def screenshots(url: str) -> list[Path]:
    """Each page of PAGES as a PNG, once its charts have drawn."""
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
        for name, path in PAGES.items():
            page.goto(url + path, wait_until="networkidle")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.metric-chart')].every(c => c.dataset.drawn)"
            )
            page.screenshot(path=str(SHOTS / name), full_page=True)
            taken.append(SHOTS / name)
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
        for shot in screenshots(url):
            print(f"  screenshot {shot.relative_to(ROOT)}")
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
