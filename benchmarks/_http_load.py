"""The serving benchmarks' HTTP harness: a load generator in its own process (raw HTTP/1.1
keep-alive connections on uvloop, one per concurrent client, reporting requests/s, p50/p99 and
its own CPU share) and a server process started, waited for and stopped.

Run as a script, it is the load generator: ``_http_load.py PORT PATH BODY CONCURRENCY SECONDS``
prints one JSON line (``run_loadgen`` does exactly that).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class _Client(asyncio.Protocol):
    """One keep-alive connection sending ``request`` again as soon as each answer is in. A
    protocol, not streams: it costs the shared CPU a third of what awaiting a reader did, and
    the load generator runs on the same cores as the server it measures."""

    def __init__(self, request: bytes, deadline: float, latencies: list[float],
                 errors: list[str], done: asyncio.Future[None]) -> None:  # fmt: skip
        self.request = request
        self.deadline = deadline
        self.latencies = latencies
        self.errors = errors
        self.done = done
        self.buffer = b""
        self.start = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.start = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            head = buffer[:end].lower()
            at = head.find(b"content-length:")
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at)
                length = int(head[at + 15 : stop if stop >= 0 else end])
            total = end + 4 + length
            if len(buffer) < total:
                break
            if head[9:12] != b"200" or buffer[end + 4 : end + 5] not in (b"{", b"["):
                self.errors.append(head[:12].decode())
            now = time.perf_counter()
            self.latencies.append(now - self.start)
            buffer = buffer[total:]
            if now >= self.deadline:
                assert self.transport is not None
                self.transport.close()
                return
            self._send()
        self.buffer = buffer

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.errors.append(type(exc).__name__)
        if not self.done.done():
            self.done.set_result(None)


async def _client(port: int, request: bytes, deadline: float, latencies: list[float],
                  errors: list[str]) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    try:
        await loop.create_connection(
            lambda: _Client(request, deadline, latencies, errors, done), "127.0.0.1", port
        )
    except OSError as exc:
        errors.append(type(exc).__name__)
        return
    await done


def loadgen(port: int, path: str, body: str, concurrency: int, seconds: float) -> None:
    """Print one JSON line: requests, errors, rps, p50/p99 ms and this process's CPU share."""
    import uvloop

    payload = body.encode()
    method = "POST" if payload else "GET"
    request = (f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json"
               f"\r\ncontent-length: {len(payload)}\r\n\r\n").encode() + payload  # fmt: skip
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, request, deadline, latencies, errors)
                               for _ in range(concurrency)))  # fmt: skip

    wall, cpu = time.perf_counter(), time.process_time()
    uvloop.run(main())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    latencies.sort()
    count = len(latencies)
    print(json.dumps({
        "requests": count, "errors": len(errors), "rps": count / wall,
        "p50_ms": latencies[count // 2] * 1000 if count else float("nan"),
        "p99_ms": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else float("nan"),
        "loadgen_cpu": cpu / wall,
    }))  # fmt: skip


def run_loadgen(
    port: int, path: str, body: str, concurrency: int, seconds: float
) -> dict[str, Any]:
    command = [sys.executable, __file__, str(port), path, body, str(concurrency), str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    ready_s: float = 0.0
    """Seconds from the process start until its health endpoint first answered 200."""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], port: int, health: str, cwd: Path, env: dict[str, str],
           log: Path) -> Iterator[Running]:  # fmt: skip
    started = time.monotonic()
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=handle,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    running = Running(process, port)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[:3]} did not start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as r:
                    if r.status == 200:
                        running.ready_s = time.monotonic() - started
                        break
            except OSError:
                time.sleep(0.05)
        yield running
    finally:
        running.stop()


if __name__ == "__main__":
    port, path, body, concurrency, seconds = sys.argv[1:6]
    loadgen(int(port), path, body, int(concurrency), float(seconds))
