"""A model server that lives for one block: started on a free loopback port in this process,
answering once its models are loaded and warmed, and told to stop on leaving the block (it
stops on its own thread, within the server's graceful-shutdown time).

Smoke tests run against it before any user traffic reaches a new version, and ``shipyard ci``
uses it for its integration stage. It is the real server (the same ASGI app and uvicorn as
``shipyard serve``), on a thread of its own.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from shipyard._store.workspace import Workspace, workspace_for
from shipyard.core.errors import ConflictError, ModelError
from shipyard.serving.online.api import plan_options
from shipyard.serving.online.server import create_app, server_config

STARTUP_TIMEOUT_S = 120.0


@contextlib.contextmanager
def ephemeral_server(
    target: str,
    *,
    workspace: Workspace | None = None,
    host: str = "127.0.0.1",
    **options: Any,
) -> Iterator[str]:
    """Serve ``target`` (``NAME/VERSION`` or ``NAME@ALIAS``) on a loopback port for the block
    and yield its base URL. No user can reach it, so the version need not have passed its
    policy yet (CI tests it before it may go live); predictions are not logged."""
    ws = workspace or workspace_for()
    resolved = plan_options(target, ws, ephemeral=True, host=host, port=0, workers=1, **options)
    app = create_app(resolved, ws)
    sock = _bound_socket(host)
    port = int(sock.getsockname()[1])
    config = server_config(resolved, app, embedded=True)
    server = uvicorn.Server(config)
    # Not a daemon: the server stops on its own thread after the block (answering what is in
    # flight, then closing its socket) while the caller goes on, and the interpreter waits for
    # it at exit instead of freezing it halfway.
    thread = threading.Thread(target=_serve, args=(server, sock),
                              name=f"shipyard-ephemeral-{port}")  # fmt: skip
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ModelError(
                    f"The server for {target} did not start: "
                    f"{getattr(app, 'startup_error', None) or 'it gave no reason'}.",
                    hint="Check that the version loads: `shipyard models show` and "
                    "`sy.load_model` name the problem.",
                )
            time.sleep(0.02)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _bound_socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
    except OSError as exc:
        sock.close()
        raise ConflictError(
            f"Cannot listen on {host}: {exc.strerror}.",
            hint="Use a loopback address such as 127.0.0.1.",
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock
