"""``shipyard monitor run|watch|report`` and ``shipyard alerts list|ack|resolve``, in-process,
and the report's files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

from typer.testing import CliRunner, Result

from shipyard.cli.app import app
from shipyard.monitoring import monitor_run, monitor_watch, parse_config
from shipyard.monitoring.report import write_report
from tests.monitoring.conftest import DEPLOYMENT, Monitored, Receiver, make_frame, truth

YAML = """
monitoring:
  sinks:
    ops: {{type: webhook, url: "{url}"}}
  rules:
    - {{name: drift, metric: drift, above: 0.2, severity: critical, sinks: [log, ops]}}
"""


def _cli(monitored: Monitored, *args: str) -> Result:
    settings = monitored.workspace.settings
    base = ["--store", settings.resolved_store_url,
            "--artifacts", settings.resolved_artifacts_url]  # fmt: skip
    return CliRunner().invoke(app, [*base, *args], env={"SHIPYARD_ACTOR": "cli@test",
                                                        "COLUMNS": "250"})  # fmt: skip


def test_monitor_run_and_the_alert_commands(
    monitored: Monitored, receiver: Receiver, tmp_path: Path
) -> None:
    config = tmp_path / "monitoring.yaml"
    config.write_text(YAML.format(url=receiver.url))
    start, end = monitored.window(0, make_frame(2000, seed=1, drift=["plan"]))
    done = _cli(monitored, "monitor", "run", DEPLOYMENT, "--since", start.isoformat(),
                "--until", end.isoformat(), "--config", str(config), "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert found["summary"]["drifted"] == ["plan"] and found["rows"] == 2000
    [alert] = found["active_alerts"]
    assert alert["rule"] == "drift" and len(receiver.bodies) == 1

    table = _cli(monitored, "monitor", "run", DEPLOYMENT, "--since", start.isoformat(),
                 "--until", end.isoformat(), "--config", str(config))  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "plan" in table.stdout and "1 active alert(s)" in table.stdout

    listed = _cli(monitored, "alerts", "list", "--json")
    assert [a["id"] for a in json.loads(listed.stdout)] == [alert["id"]]
    acked = _cli(monitored, "alerts", "ack", alert["id"], "--comment", "on it", "--json")
    assert json.loads(acked.stdout)["state"] == "acknowledged"
    resolved = _cli(monitored, "alerts", "resolve", alert["id"], "--reason", "rolled back")
    assert resolved.exit_code == 0 and "is resolved" in resolved.stdout
    assert json.loads(_cli(monitored, "alerts", "list", "--json").stdout) == []
    everything = json.loads(_cli(monitored, "alerts", "list", "--all", "--json").stdout)
    assert everything[0]["resolved_by"] == "cli@test"

    missing = _cli(monitored, "alerts", "ack", "0" * 32)
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    both = _cli(monitored, "monitor", "run", DEPLOYMENT, "--window", "1h", "--since", "2026-01-01")
    assert both.exit_code == 2
    bad = _cli(monitored, "monitor", "run", DEPLOYMENT, "--window", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.stderr


def test_the_report_has_plots_performance_and_alerts(monitored: Monitored, tmp_path: Path) -> None:
    config = parse_config({"rules": [{"name": "drift", "metric": "drift", "above": 0.2}]})
    for index, drift in enumerate([(), (), ("income", "plan")]):
        frame = make_frame(1000, seed=index, drift=drift)
        start, end = monitored.window(index, frame, labels=truth(frame))
        monitor_run(DEPLOYMENT, since=start, until=end, config=config,
                    workspace=monitored.workspace)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = write_report(monitored.workspace, DEPLOYMENT, tmp_path / "report")
    html = paths["html"].read_text()
    assert html.count("data:image/svg+xml;base64,") >= 2 + 6  # drift, performance, 6 features
    assert "http://" not in html.replace("http://www.w3.org", "")  # self-contained
    assert "Monitoring report: churn-prod" in html and "drift" in html
    markdown = paths["markdown"].read_text()
    assert "| income | numeric | drift | psi |" in markdown
    assert "| accuracy |" in markdown and "Active alerts: **1**" in markdown

    done = _cli(monitored, "monitor", "report", DEPLOYMENT, "-o", str(tmp_path / "cli"), "--json")
    assert done.exit_code == 0, done.output
    assert Path(json.loads(done.stdout)["html"]).is_file()
    none = _cli(monitored, "monitor", "report", "other")
    assert none.exit_code == 1 and "no monitor results" in none.stderr


def test_watch_runs_every_interval_and_stops_cleanly(monitored: Monitored) -> None:
    monitored.window(0, make_frame(100, seed=1))
    stop = threading.Event()
    seen: list[int] = []

    def on_result(result: object) -> None:
        seen.append(1)
        if len(seen) == 3:
            stop.set()

    runs = monitor_watch(DEPLOYMENT, every="0.05s", window="1d", config=parse_config({}),
                         workspace=monitored.workspace, stop=stop, on_result=on_result)  # fmt: skip
    assert runs == 3 and len(monitored.workspace.monitoring.results(DEPLOYMENT)) == 3


def test_watch_stops_cleanly_on_sigterm(monitored: Monitored) -> None:
    monitored.window(0, make_frame(100, seed=1))
    home = monitored.workspace.settings.home
    command = [sys.executable, "-c", "from shipyard.cli.app import main; main()",
               "--home", str(home), "monitor", "watch", DEPLOYMENT,
               "--every", "0.2s", "--window", "1d"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(monitored.workspace.monitoring.results(DEPLOYMENT)) < 2:
            assert time.monotonic() < deadline and process.poll() is None, process.stderr
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Stopped after" in out
