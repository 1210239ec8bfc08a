"""The UI under test: a seeded workspace served by the real ``shipyard ui`` command in a
subprocess, and one headless Chromium (Debian's, driven by Playwright) for the session.

A failing test leaves a screenshot of its page in ``test-artifacts/ui/``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import shipyard as sy
from tests.cli_process import MAIN
from tests.ui.seed import seed

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
TOKEN = "ui-test-token-0123456789"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    home: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_ui(home: Path, *args: str, store: str | None = None) -> Served:
    """``shipyard --home HOME ui --port 0 ARGS`` in a subprocess, once it serves."""
    ready = home / f"ui-ready-{time.monotonic_ns()}.txt"
    command = [sys.executable, "-c", MAIN, "--home", str(home)]
    if store is not None:
        command += ["--store", store]
    command += ["ui", "--port", "0", "--ready-file", str(ready), *args]
    env = {**os.environ, "SHIPYARD_TRUSTED_MODULES": '["tests"]'}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"shipyard ui did not start (exit {process.poll()})")
        time.sleep(0.05)
    return Served(ready.read_text().strip(), process, home)


@pytest.fixture(scope="session")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("ui-home")
    settings = sy.load_settings(home=home, capture_git=False, capture_packages=False)
    with sy.open_workspace(settings) as ws:
        ids = seed(ws, home)
    return home, ids


@pytest.fixture(scope="session")
def ids(ui_home: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return ui_home[1]


@pytest.fixture(scope="session")
def server(ui_home: tuple[Path, dict[str, str]]) -> Iterator[Served]:
    served = start_ui(ui_home[0])
    yield served
    served.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/install-services.sh does it)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


class Watched:
    """A page whose console errors and failed requests are collected."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.errors.append(f"failed {r.url}"))
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path, wait_until="networkidle")

    def clean(self) -> None:
        assert self.errors == [], self.errors


@pytest.fixture
def page(browser: Any, server: Served, request: pytest.FixtureRequest) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page(), server.url)
    yield watched
    failed = getattr(request.node, "failed_call", False)
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        watched.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True  # type: ignore[attr-defined]
    return report


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page."""
    # evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; 0")
    found = page.evaluate("async () => (await window.axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def submit(page: Watched, selector: str) -> None:
    """Scroll to ``selector`` as a reader would, click it and wait for the page it leads to
    (a click computed while the page still scrolls can miss a button far down a long page)."""
    page.page.locator(selector).scroll_into_view_if_needed()
    with page.page.expect_navigation():
        page.page.click(selector)
    page.page.wait_for_load_state("networkidle")
