"""Redis Streams, through redis-py: a consumer-group source and an ``XADD`` sink.

An input entry carries its JSON payload in the field ``value`` and, optionally, a ``key``;
results and dead letters are written the same way, with the headers as extra fields.

At-least-once: an entry read with ``XREADGROUP`` stays in the group's pending list until the
worker ``XACK``s it, which it does only after the entry's results were written. Entries left
pending by a worker that died are taken over with ``XAUTOCLAIM`` once they have been idle for
``claim_idle_ms``, by any worker of the group (a restarted one has a new consumer name).
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from shipyard.core.errors import BrokerError
from shipyard.core.ids import new_id
from shipyard.core.logging import get_logger
from shipyard.serving.stream.delivery import Ticket
from shipyard.serving.stream.endpoints import Endpoint
from shipyard.serving.stream.events import Batch, Headers

log = get_logger(__name__)
VALUE, KEY = b"value", b"key"


def _client(endpoint: Endpoint, connect_timeout: float = 10.0) -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise BrokerError("Redis streams need redis-py.",
                          hint="pip install 'shipyard[redis]'") from exc  # fmt: skip
    return redis.Redis(host=endpoint.host, port=endpoint.port, db=endpoint.db,
                       password=endpoint.password, socket_connect_timeout=connect_timeout,
                       socket_timeout=30, health_check_interval=30)  # fmt: skip


def _ping(client: Any, endpoint: Endpoint) -> None:
    import redis

    try:
        client.ping()
    except redis.RedisError as exc:
        raise BrokerError(
            f"Cannot reach the Redis server at {endpoint.address}: {exc}.",
            hint="Check the address and that redis-server is running (see docs: streaming).",
        ) from None


def consumer_name() -> str:
    """This worker's name in its group: host, process and a random part (never reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{new_id()[-6:]}"


class RedisSource:
    def __init__(
        self, endpoint: Endpoint, group: str, *, start: str, claim_idle_ms: int,
        connect_timeout: float = 10.0,
    ) -> None:  # fmt: skip
        self.endpoint = endpoint
        self.description = str(endpoint)
        self.group = group
        self.consumer = consumer_name()
        self._start = "0" if start == "earliest" else "$"
        self._claim_idle_ms = claim_idle_ms
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._redis = _client(endpoint, connect_timeout)
        self._xack = b"".join(_bulk(part) for part in (b"XACK", endpoint.name.encode(),
                                                       group.encode()))  # fmt: skip

    def check(self, timeout: float) -> None:
        import redis

        _ping(self._redis, self.endpoint)
        try:
            self._redis.xgroup_create(self.endpoint.name, self.group, id=self._start,
                                      mkstream=True)  # fmt: skip
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise BrokerError(f"Cannot create the consumer group {self.group!r} on "
                                  f"{self.description}: {exc}.") from None  # fmt: skip

    def poll(self, max_events: int, timeout: float) -> Batch | None:
        now = time.monotonic()
        if now >= self._next_claim:
            claimed = self._claim(max_events)
            if claimed is not None:
                return claimed
            self._next_claim = now + max(self._claim_idle_ms / 2000, 0.05)
        block = max(1, int(timeout * 1000))
        answer = self._redis.xreadgroup(self.group, self.consumer, {self.endpoint.name: ">"},
                                        count=max_events, block=block)  # fmt: skip
        if not answer:
            return None
        _, entries = answer[0]
        return self._batch(entries, 0)

    def _claim(self, max_events: int) -> Batch | None:
        """Take over entries another worker (or an earlier life of this one) left pending."""
        cursor, entries, _deleted = self._redis.xautoclaim(
            self.endpoint.name, self.group, self.consumer, self._claim_idle_ms,
            start_id=self._claim_cursor, count=max_events,
        )  # fmt: skip
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        if self._claim_cursor != "0-0":
            self._next_claim = 0.0  # more to look at: claim again at the next poll
        entries = [(entry_id, fields) for entry_id, fields in entries if fields is not None]
        if not entries:
            return None
        log.info("took over %d pending events", len(entries), extra={"source": self.description})
        return self._batch(entries, len(entries))

    def _batch(self, entries: list[Any], redelivered: int) -> Batch:
        prefix = f"{self.endpoint.name}/"
        keys, values, request_ids = [], [], []
        stamps: list[float | None] = []
        for entry_id, fields in entries:
            text = entry_id.decode()
            keys.append(fields.get(KEY))
            values.append(fields.get(VALUE))
            request_ids.append(prefix + text)
            stamps.append(float(text.partition("-")[0]))
        return Batch(keys, values, request_ids, stamps, [i for i, _ in entries], redelivered)

    def ack(self, batch: Batch) -> None:
        """``XACK`` the batch's entries (packed here: a batch is hundreds of ids)."""
        pool = self._redis.connection_pool
        connection = pool.get_connection()
        try:
            ids = batch.ack
            command = b"*%d\r\n%s%s" % (len(ids) + 3, self._xack, b"".join(map(_bulk, ids)))
            connection.send_packed_command([command])
            connection.read_response()
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)

    def lag(self) -> int | None:
        for group in self._redis.xinfo_groups(self.endpoint.name):
            name = group.get("name")
            if (name.decode() if isinstance(name, bytes) else name) == self.group:
                lag = group.get("lag")
                return None if lag is None else int(lag) + int(group.get("pending") or 0)
        return None

    def close(self) -> None:
        """Leave the group when nothing is pending for this worker (a clean drain)."""
        try:
            pending = self._redis.xpending_range(self.endpoint.name, self.group, "-", "+", 1,
                                                 consumername=self.consumer)  # fmt: skip
            if not pending:
                self._redis.xgroup_delconsumer(self.endpoint.name, self.group, self.consumer)
        finally:
            self._redis.close()


def _bulk(data: bytes) -> bytes:
    """One argument of a command in Redis' wire protocol (RESP)."""
    return b"$%d\r\n%s\r\n" % (len(data), data)


class RedisSink:
    """``XADD``s written in one round trip per batch (``push``). The commands are packed here
    rather than by redis-py: the fields every result of a batch shares (stream, headers) are
    packed once per batch, and each event adds only its value and key."""

    def __init__(
        self, endpoint: Endpoint, max_length: int | None = None, connect_timeout: float = 10.0
    ) -> None:
        self.endpoint = endpoint
        self._redis = _client(endpoint, connect_timeout)
        self._buffer: list[bytes] = []
        self._tickets: list[Ticket] = []
        self._max_length = max_length
        self._shared: tuple[str, Headers, bytes, bytes] | None = None
        """(stream, headers, prefix with a key, prefix without): the last batch's XADD head."""

    def check(self, timeout: float) -> None:
        _ping(self._redis, self.endpoint)

    def _prefixes(self, name: str, headers: Headers) -> tuple[bytes, bytes]:
        shared = self._shared
        if shared is not None and shared[0] == name and shared[1] is headers:
            return shared[2], shared[3]
        head = [b"XADD", name.encode()]
        if self._max_length is not None:
            head += [b"MAXLEN", b"~", str(self._max_length).encode()]
        head.append(b"*")
        for field, content in headers:
            head += [field.encode(), content]
        body = b"".join(_bulk(part) for part in head) + _bulk(VALUE)
        with_key = b"*%d\r\n%s" % (len(head) + 4, body)
        without = b"*%d\r\n%s" % (len(head) + 2, body)
        self._shared = (name, headers, with_key, without)  # holding headers keeps `is` sound
        return with_key, without

    def send(self, name: str, key: bytes | None, value: bytes, headers: Headers,
             ticket: Ticket) -> None:  # fmt: skip
        with_key, without = self._prefixes(name, headers)
        if key is None:
            self._buffer += (without, b"$%d\r\n" % len(value), value, b"\r\n")
        else:
            self._buffer += (with_key, b"$%d\r\n" % len(value), value,
                             b"\r\n$3\r\nkey\r\n$%d\r\n" % len(key), key, b"\r\n")  # fmt: skip
        ticket.outstanding += 1
        self._tickets.append(ticket)

    def send_many(self, name: str, keys: list[bytes | None], values: list[bytes],
                  headers: Headers, ticket: Ticket) -> None:  # fmt: skip
        for key, value in zip(keys, values, strict=True):
            self.send(name, key, value, headers, ticket)

    def push(self) -> None:
        """Write what was sent in one round trip; each entry is delivered once XADD answers."""
        if not self._tickets:
            return
        tickets, self._tickets = self._tickets, []
        data, self._buffer = b"".join(self._buffer), []
        import redis

        pool = self._redis.connection_pool
        connection = pool.get_connection()
        answered = 0
        try:
            connection.send_packed_command([data])
            for ticket in tickets:
                try:
                    connection.read_response()
                except redis.ResponseError as exc:  # this entry only: the rest still answer
                    ticket.delivered(exc)
                else:
                    ticket.delivered()
                answered += 1
        except redis.RedisError as exc:  # the connection failed: the rest are not delivered
            connection.disconnect()
            for ticket in tickets[answered:]:
                ticket.delivered(exc)
        finally:
            pool.release(connection)

    def wait(self, timeout: float) -> None:
        self.push()

    def flush(self, timeout: float) -> None:
        self.push()

    def close(self) -> None:
        self.push()
        self._redis.close()
