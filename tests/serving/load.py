"""A small load generator for the tests: N concurrent keep-alive HTTP/1.1 clients on raw
asyncio streams (an httpx pool is too slow to load a server from the test process)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from tests.serving.models import GOOD


@dataclass
class Outcome:
    statuses: Counter[int] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    """Request ids of the 200 answers."""

    @property
    def ok(self) -> int:
        return self.statuses[200]


def _request(host: str, body: bytes, request_id: str, key: str | None) -> bytes:
    head = (f"POST /predict HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nx-request-id: {request_id}\r\n")  # fmt: skip
    if key is not None:
        head += f"x-shipyard-key: {key}\r\n"
    return (head + "\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _client(url: str, deadline: float, outcome: Outcome, worker: int, body: bytes,
                  stop_on_error: bool, keys: bool) -> None:  # fmt: skip
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sent = 0
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.monotonic() < deadline:
        request_id = f"w{worker}-{sent}"
        sent += 1
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            key = f"client-{worker}" if keys else None
            status, headers, _ = await _exchange(*connection,
                                                 _request(host, body, request_id, key))  # fmt: skip
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            outcome.errors.append(f"{type(exc).__name__}: {exc}")
            if connection is not None:
                connection[1].close()
                connection = None
            if stop_on_error:
                return
            await asyncio.sleep(0.05)
            continue
        outcome.statuses[status] += 1
        if status == 200:
            outcome.versions[headers["x-shipyard-version"]] += 1
            outcome.answered.append(request_id)
        if headers.get("connection") == "close" and connection is not None:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()


def run_load(url: str, *, clients: int, seconds: float, stop_on_error: bool = False,
             body: dict[str, Any] | None = None, keys: bool = False) -> Outcome:  # fmt: skip
    """``clients`` concurrent clients posting for ``seconds``; what they got back. With
    ``keys`` each client sends its own sticky key."""
    outcome = Outcome()
    payload = orjson.dumps(body or {"instances": [GOOD]})

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(url, deadline, outcome, i, payload, stop_on_error, keys)
                               for i in range(clients)))  # fmt: skip

    asyncio.run(main())
    return outcome
