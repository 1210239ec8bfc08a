"""Where events come from and go to: ``kafka://HOST:PORT/TOPIC`` or ``redis://HOST:PORT/STREAM``.

A Kafka URL may list several brokers (``kafka://a:9092,b:9092/events``); a Redis URL may carry
a password and a database number (``redis://:secret@host:6379/events?db=2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from shipyard.core.errors import UsageError

SCHEMES = ("kafka", "redis")
DEFAULT_PORTS = {"kafka": 9092, "redis": 6379}


@dataclass(frozen=True)
class Endpoint:
    """A topic (Kafka) or stream (Redis) on a broker."""

    scheme: str
    address: str
    """``host:port`` (Kafka: a comma-separated list of them)."""
    name: str
    password: str | None = None
    db: int = 0

    @property
    def broker(self) -> tuple[str, str, str | None, int]:
        """What identifies the connection (two endpoints on one broker share a client)."""
        return (self.scheme, self.address, self.password, self.db)

    @property
    def host(self) -> str:
        return self.address.split(",")[0].rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.address.split(",")[0].rpartition(":")[2])

    def __str__(self) -> str:
        return f"{self.scheme}://{self.address}/{self.name}"


def parse_endpoint(text: str, role: str) -> Endpoint:
    """Parse the ``role`` (source, sink, dead letters) URL; a UsageError says what is wrong."""
    example = "kafka://127.0.0.1:9092/events or redis://127.0.0.1:6379/events"
    scheme, sep, _ = text.partition("://")
    if not sep:
        raise UsageError(f"The {role} {text!r} is not a URL.", hint=f"Write it as {example}.")
    if scheme not in SCHEMES:
        raise UsageError(
            f"The {role} {text!r} uses the unknown scheme {scheme!r}.",
            hint=f"Use kafka:// or redis://, for example {example}.",
        )
    parts = urlsplit(text)
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        what = "topic" if scheme == "kafka" else "stream"
        raise UsageError(f"The {role} {text!r} names no {what}.",
                         hint=f"Put the {what} after the address, as in {example}.")  # fmt: skip
    hosts = parts.netloc.rpartition("@")[2]
    addresses = []
    for host in hosts.split(","):
        host_name, colon, port = host.partition(":")
        if not host_name or (colon and not (port.isascii() and port.isdigit())):
            raise UsageError(f"The {role} {text!r} has no valid HOST:PORT.",
                             hint=f"For example {example}.")  # fmt: skip
        addresses.append(f"{host_name}:{port or DEFAULT_PORTS[scheme]}")
    if scheme == "redis" and len(addresses) > 1:
        raise UsageError(f"The {role} {text!r} names several Redis servers; give one.")
    query = parse_qs(parts.query)
    db = query.get("db", ["0"])[0]
    if not (db.isascii() and db.isdigit()):
        raise UsageError(f"The {role} {text!r} has db={db!r}; use a number.")
    return Endpoint(scheme, ",".join(addresses), name,
                    password=unquote(parts.password) if parts.password else None,
                    db=int(db))  # fmt: skip
