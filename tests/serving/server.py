"""A real server in a subprocess, started through the `shipyard` command on a random loopback
port, and stopped by its own process id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def register_commands() -> None:
    """Add the serving commands to `shipyard` unless app.py already lists them."""
    from shipyard.cli import app as root, serve

    names = {command.name for command in root.app.registered_commands}
    if "serve" not in names:
        root.app.command("serve")(serve.serve)
        root.app.add_typer(serve.deploy_app, name="deploy")
        root.app.add_typer(serve.deployments_app, name="deployments")


def main() -> None:
    """`shipyard`, with the serving commands."""
    from shipyard.cli import app as root

    register_commands()
    root.main()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(
    home: Path, target: str, *options: str, timeout: float = 60, probe: str = "/health/ready"
) -> Server:
    """`shipyard --home HOME serve TARGET --port P OPTIONS…`, once it answers ``probe``."""
    port = free_port()
    log = home.parent / f"server-{port}.log"
    command = [sys.executable, "-c", "from tests.serving.server import main; main()",
               "--home", str(home), "serve", target, "--port", str(port), *options]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHIPYARD_CAPTURE_GIT": "false",
           "SHIPYARD_ACTOR": "server@test",
           "SHIPYARD_TRUSTED_MODULES": '["tests"]'}  # the tests' own model classes  # fmt: skip
    with log.open("wb") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    server = Server(process, port, log)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as client:  # one client: each new one costs an SSL context
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n"
                                   f"{server.output()}")  # fmt: skip
            try:
                if client.get(f"{server.url}{probe}").status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"the server was not ready in {timeout} s:\n{server.output()}")
