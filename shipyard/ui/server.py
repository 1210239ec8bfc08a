"""``sy.ui``: serve the web UI on uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.errors import UsageError
from shipyard.core.settings import Settings, load_settings
from shipyard.ui.security import read_token_file

if TYPE_CHECKING:
    from shipyard import Workspace

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5050


def ui(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token_file: str | Path | None = None,
    read_only: bool = False,
    settings: Settings | None = None,
    workspace: Workspace | None = None,
    ready: str | None = None,
) -> None:
    """Serve the web UI over the store of ``settings`` (or ``workspace``) on ``host:port``
    (loopback unless told otherwise) until interrupted. ``token_file`` (one token per line)
    makes every page and API call need a token; ``read_only`` removes every action.
    ``port=0`` picks a free port; ``ready`` names a file the URL is written to once serving."""
    import uvicorn

    from shipyard.ui.app import create_app

    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise UsageError(f"port is a number from 0 to 65535, not {port!r}.", hint="Use 5050.")
    tokens = read_token_file(token_file) if token_file is not None else None
    if tokens is None and not _loopback(host):
        raise UsageError(
            f"The UI would be open to anyone who reaches {host} without a token.",
            hint="Pass --token-file with a long random token, or bind 127.0.0.1.",
        )
    resolved = settings or (workspace.settings if workspace else load_settings())
    app = create_app(resolved, tokens=tokens, read_only=read_only, workspace=workspace)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        server_header=False,
        lifespan="on",
        ws="none",  # no WebSocket endpoints: the websockets library is never imported
    )
    server = uvicorn.Server(config)
    if ready is not None:
        _announce_when_started(server, host, Path(ready))
    server.run()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _announce_when_started(server: object, host: str, path: Path) -> None:
    """Write the URL (with the port actually bound) to ``path`` once uvicorn listens."""
    import threading
    import time

    def watch() -> None:
        while not getattr(server, "started", False):
            if getattr(server, "should_exit", False):
                return
            time.sleep(0.02)
        servers = getattr(server, "servers", [])
        port = servers[0].sockets[0].getsockname()[1] if servers else 0
        display = f"[{host}]" if ":" in host else host
        temporary = path.with_suffix(".tmp")
        temporary.write_text(f"http://{display}:{port}\n", encoding="utf-8")
        temporary.replace(path)

    threading.Thread(target=watch, name="shipyard-ui-ready", daemon=True).start()
