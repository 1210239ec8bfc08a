"""Running the ASGI app on uvicorn (uvloop, httptools): one process, or N worker processes
that each load the model.

On Linux the supervisor imports, once, the serving stack and the libraries of the flavors the
deployment serves, then forks the workers, which start with them imported (the way
gunicorn's ``--preload`` does): a worker is ready in the time it takes to load and warm up
its model, not to import everything again. Nothing has run a model or started a thread in
the supervisor by then, so no thread pool is broken by the fork; each worker sets its own
native thread limits. Elsewhere, or when the calling process already runs threads, workers
are spawned as fresh interpreters.

Workers each listen on their own ``SO_REUSEPORT`` socket, so the kernel spreads new
connections evenly over them (with one shared socket, whichever worker wakes first takes a
burst of connections and the others idle). SIGTERM (or SIGINT) makes every worker stop
accepting, answer what is in flight and flush the prediction log (uvicorn's graceful
shutdown, then the app's lifespan); a worker that dies is restarted. The workers keep their
metrics in a directory the supervisor creates (and removes when the server stops), so any
worker's ``/metrics`` shows the sum over all of them, a dead one's counts included.
"""

from __future__ import annotations

import contextlib
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from shipyard._store.workspace import Workspace
from shipyard.core.errors import ConflictError, ModelError
from shipyard.core.logging import get_logger
from shipyard.serving.online import heap
from shipyard.serving.online.app import ServingApp
from shipyard.serving.online.logs import logging_config
from shipyard.serving.online.options import ServeOptions, server_settings
from shipyard.serving.online.protocol import HttpProtocol

log = get_logger(__name__)

STARTUP_FAILURE = 3
"""Exit code of a worker whose app could not start (uvicorn's own)."""
MAX_RESTARTS, RESTART_WINDOW = 5, 60.0
"""More worker deaths than this within the window stop the server instead of looping."""


def create_app(
    options: ServeOptions, workspace: Workspace | None = None, *, freeze_heap: bool = False
) -> ServingApp:
    """The ASGI app serving ``options.deployment`` (models load at lifespan startup). With
    ``freeze_heap`` the process's heap is frozen once the models are loaded (for a process
    the server owns; see :mod:`~shipyard.serving.online.heap`)."""
    return ServingApp(options, workspace, freeze_heap=freeze_heap)


def server_config(
    options: ServeOptions, app: ServingApp, *, embedded: bool = False
) -> uvicorn.Config:
    """uvicorn's configuration for ``app``, running the server's own HTTP protocol. An
    ``embedded`` server runs inside another program, whose logging it leaves alone."""
    # ws="none": no WebSocket endpoints, so the websockets library is never imported
    return uvicorn.Config(
        app, host=options.host, port=options.port, loop="uvloop", http=HttpProtocol, ws="none",
        lifespan="on", access_log=False, log_config=None if embedded else logging_config(),
        timeout_graceful_shutdown=5 if embedded else max(1, round(options.graceful_timeout)),
        server_header=False, date_header=False, timeout_keep_alive=30, backlog=2048,
        proxy_headers=False,
    )  # fmt: skip


def _socket(options: ServeOptions, *, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if options.workers > 1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as exc:
        sock.close()
        raise ConflictError(
            f"Cannot listen on {options.host}:{options.port}: {exc.strerror}.",
            hint="Choose another --port, or stop what uses this one.",
        ) from exc
    if listen:
        sock.listen(2048)
        sock.setblocking(False)
    return sock


def _serve_one(options_json: str, worker: bool = False) -> None:
    """One server process: its own socket, the app, uvicorn until SIGTERM."""
    options = ServeOptions.from_json(options_json)
    if worker:  # a forked worker inherits native libraries loaded before its limits were set
        from threadpoolctl import threadpool_limits

        threadpool_limits(options.native_threads)
    app = create_app(options, freeze_heap=True)
    logging.config.dictConfig(logging_config())
    server = uvicorn.Server(server_config(options, app))
    try:
        with contextlib.suppress(SystemExit):  # uvicorn exits with 3 when the app cannot start
            server.run(sockets=[_socket(options)])
    finally:
        heap.thaw()  # one worker runs in the calling process, which goes on
    if not server.started:
        if worker:
            sys.exit(STARTUP_FAILURE)
        raise ModelError(
            f"The server could not start: {app.startup_error or 'see the log'}.",
            hint="Fix the model or deployment named above, then serve again.",
        )


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _native_threads(count: int) -> Iterator[None]:
    """Native thread pools sized ``count`` for what starts inside (the variables are read as
    the libraries start their pools); the caller's environment is restored on the way out."""
    saved = {variable: os.environ.get(variable) for variable in _THREAD_VARIABLES}
    os.environ.update({variable: str(count) for variable in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def run_server(options: ServeOptions) -> None:
    """Serve until SIGINT or SIGTERM, in this process or in ``options.workers`` workers."""
    with _native_threads(options.native_threads):  # workers inherit them as they spawn
        if options.workers == 1:
            _serve_one(options.to_json())
            return
        _socket(options, listen=False).close()  # fail here, clearly, if the port is taken
        logging.config.dictConfig(logging_config())
        _Supervisor(options).run()


class _Supervisor:
    """Starts the workers, restarts one that dies, and stops them all on SIGTERM/SIGINT."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options  # with the metrics directory once running
        fork, spawn = multiprocessing.get_context("fork"), multiprocessing.get_context("spawn")
        self.context: ForkContext | SpawnContext = fork if _can_fork() else spawn
        self.workers: list[BaseProcess] = []
        self.stopping = False

    def _start(self) -> BaseProcess:
        worker = self.context.Process(target=_serve_one, args=(self.options.to_json(), True),
                                      name="shipyard-worker", daemon=False)  # fmt: skip
        worker.start()
        return worker

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        metrics_dir = tempfile.mkdtemp(prefix="shipyard-metrics-")
        self.options = self.options.replace(metrics_dir=metrics_dir)
        try:
            if self.context.get_start_method() == "fork":
                _preload(self.options)
                heap.freeze()  # the workers' collections leave what they share with it alone
            self.workers = [self._start() for _ in range(self.options.workers)]
            log.info("started %d workers", len(self.workers),
                     extra={"workers": [w.pid for w in self.workers]})  # fmt: skip
            failed = False
            restarts: list[float] = []
            while not self.stopping and not failed:
                time.sleep(0.2)
                for index, worker in enumerate(self.workers):
                    if worker.is_alive() or self.stopping:
                        continue
                    now = time.monotonic()
                    restarts = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
                    # A startup failure would repeat; so would a crash loop.
                    if worker.exitcode == STARTUP_FAILURE or len(restarts) > MAX_RESTARTS:
                        failed = True
                        break
                    log.error("worker %s died (exit %s); starting another", worker.pid,
                              worker.exitcode)  # fmt: skip
                    self.workers[index] = self._start()
            self._shutdown()
            if failed:
                raise ModelError(
                    "A worker could not start or kept dying; the server stopped.",
                    hint="See the worker's error in the log above. A script that calls serve() "
                    "with workers > 1 needs an `if __name__ == '__main__':` guard.",
                )
        finally:
            heap.thaw()
            shutil.rmtree(metrics_dir, ignore_errors=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _shutdown(self) -> None:
        for worker in self.workers:
            if worker.is_alive() and worker.pid is not None:
                os_kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.options.graceful_timeout + 10
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.error("worker %s did not stop in time; killing it", worker.pid)
                worker.kill()
                worker.join()
        log.info("all workers stopped")


def _can_fork() -> bool:
    """Whether workers may be forked: on Linux, from a process running no other thread."""
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def _preload(options: ServeOptions) -> None:
    """Import the libraries of the flavors ``options.deployment`` serves, so that forked
    workers have them already. Only imports: the store connection is closed again, and no
    model is loaded or run here. A problem is left for the workers to report."""
    from shipyard.core.errors import ShipyardError
    from shipyard.models.flavors import get_flavor
    from shipyard.serving.deploy import deployments_of

    flavors: set[str] = set()
    try:
        workspace = Workspace(server_settings(options))
        try:
            record = deployments_of(workspace).get(options.deployment)
            models = workspace.models
            for route in record.routes:
                found = (
                    models.resolve_alias(record.model_name, str(route["alias"]))
                    if "alias" in route
                    else models.get_version(record.model_name, int(route["version"]))
                )
                flavors.add(found.flavor)
            for version in record.shadows:
                flavors.add(models.get_version(record.model_name, version).flavor)
            for name in sorted(flavors):
                get_flavor(name).preload()
        finally:
            workspace.close()
    except ShipyardError as exc:
        log.info("nothing preloaded before forking the workers: %s", exc.message)


def os_kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
