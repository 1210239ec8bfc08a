"""HTTP clients for Shipyard's own calls to servers: one place that builds them.

``httpx.Client`` builds a TLS context when it is created, loading the system's CA bundle: tens
of milliseconds for each client, even for a client that only ever speaks plain HTTP to a
loopback server. A client bound to an ``http://`` base URL skips it. Redirects are never
followed, so such a client has no way to reach an ``https://`` address unless a caller names
one explicitly, and Shipyard's callers only send paths relative to the base URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


def http_client(base_url: str, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` for ``base_url`` (``options`` as httpx takes them); without a TLS
    context when the base URL is plain HTTP."""
    import httpx

    if base_url.lower().startswith("http://"):
        options.setdefault("verify", False)
    return httpx.Client(base_url=base_url, **options)
