"""Real services for the tests, started on random loopback ports and stopped by their own
process id. Nothing here is a mock: it is the server a user would run."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log: IO[bytes]

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries are missing; run `make test` (it installs them)."
        )
    return Path(found[-1]).parent


def start_postgres() -> PostgresServer:
    """initdb into a fresh folder and start a postmaster on a random loopback port."""
    bindir = postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="shipyard-pg-"))
    as_postgres: dict[str, object] = {}
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        as_postgres = {"user": "postgres", "group": "postgres", "extra_groups": []}
    data = directory / "data"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]  # fmt: skip
    subprocess.run(initdb, check=True, capture_output=True, **as_postgres)  # type: ignore[call-overload]
    port = free_port()
    command = [
        str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
        "-k", str(directory), "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=200",
    ]  # fmt: skip
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **as_postgres)  # type: ignore[call-overload]
    server = PostgresServer(process, port, directory, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True, check=False,
        )  # fmt: skip
        if ready.returncode == 0:
            return server
        if process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"PostgreSQL did not start; see {directory / 'server.log'}")
