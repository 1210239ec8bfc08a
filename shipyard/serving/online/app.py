"""The ASGI application: a lean hand-written router over a few endpoints, with one place that
maps errors to responses, bearer authentication, and the lifespan that loads the models,
polls for swaps and, on shutdown, answers what is in flight and flushes the prediction log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from typing import Any

import threadpoolctl

from shipyard._store.workspace import Workspace
from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger
from shipyard.models.loaded import LoadedModel
from shipyard.serving.online import endpoints, heap
from shipyard.serving.online.batcher import Gate
from shipyard.serving.online.http import (
    ClientGoneError,
    Handler,
    MethodNotAllowedError,
    NotReadyError,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    UnauthorizedError,
    error_response,
)
from shipyard.serving.online.metrics import Metrics
from shipyard.serving.online.options import ServeOptions, server_settings
from shipyard.serving.online.router import Router, RouteTable
from shipyard.serving.online.variant import Variant
from shipyard.serving.online.worker_metrics import PUBLISH_INTERVAL
from shipyard.serving.prediction_log import LogStats, PredictionLog

log = get_logger(__name__)

OPEN_PATHS = frozenset({"/health/live", "/health/ready", "/v2/health/live", "/v2/health/ready"})


class ServingApp:
    """Serves one deployment. Construct, then run under any ASGI server (uvicorn here)."""

    def __init__(
        self,
        options: ServeOptions,
        workspace: Workspace | None = None,
        *,
        freeze_heap: bool = False,
    ) -> None:
        self.options = options
        self._freeze_heap = freeze_heap  # only in a process the server owns (see heap.py)
        self.metrics = Metrics(options.metrics_dir)
        self.gate = Gate()
        self.ready = False
        self.stopping = False
        self.prediction_log: PredictionLog | None = None
        self.startup_error: str | None = None
        self._workspace = workspace
        self._owns_workspace = workspace is None
        self._router: Router | None = None
        self._poller: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._tokens = [token.encode() for token in options.tokens]
        self._routes: dict[tuple[str, str], Handler] = endpoints.routes(self)
        self.metrics.reading("shipyard_ready", "gauge", "1 when the server is ready to answer.",
                             lambda: int(self.ready))  # fmt: skip

    # -- state the endpoints read ------------------------------------------------------------

    @property
    def router(self) -> Router:
        if self._router is None:
            raise NotReadyError("The server is still loading its models.")
        return self._router

    @property
    def table(self) -> RouteTable:
        table = self._router.table if self._router is not None else None
        if table is None:
            raise NotReadyError("The server is still loading its models.", hint="Retry shortly.")
        return table

    def make_variant(self, model: LoadedModel, role: str) -> Variant:
        return Variant(model, deployment=self.options.deployment, role=role,
                       options=self.options, gate=self.gate, metrics=self.metrics,
                       prediction_log=self.prediction_log)  # fmt: skip

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request from an ASGI server (the server's own protocol calls :meth:`respond`)."""
        headers = dict(scope["headers"])
        request = Request(scope["method"], scope["path"], headers, time.perf_counter(),
                          client=scope.get("client"), receive=receive)  # fmt: skip
        response = await self.respond(request)
        if response is not None:
            await response.send(send)

    async def respond(self, request: Request) -> Response | None:
        """The response to ``request`` (None when its client went away before its body came):
        authentication, routing, the one mapping of errors, the access log and metrics."""
        path, method = request.path, request.method
        try:
            if self._tokens and path not in OPEN_PATHS:
                self._authorize(request)  # before anything else, even a 404
            handler = self._resolve(path, method, request)
            response = await handler(request)
        except ClientGoneError:
            return None
        except ShipyardError as error:
            response = error_response(error, protocol_v2=path.startswith("/v2"))
        except Exception:
            log.exception("Unexpected error answering %s %s", method, path)
            response = error_response(ShipyardError("The server failed; see its log."),
                                      protocol_v2=path.startswith("/v2"))  # fmt: skip
        elapsed = time.perf_counter() - request.started
        if self.options.access_log:
            log.info("%s %s %s", method, path, response.status,
                     extra={"status": response.status, "version": response.version,
                            "ms": round(elapsed * 1000, 3)})  # fmt: skip
        self.metrics.request(endpoints.label(path), response.version, response.status, elapsed)
        return response

    def _resolve(self, path: str, method: str, request: Request) -> Handler:
        handler = self._routes.get((method, path))
        if handler is not None:
            return handler
        found = endpoints.match_v2(self, path, method, request)
        if found is not None:
            return found
        allow = [route_method for route_method, route_path in self._routes if route_path == path]
        if allow:
            raise MethodNotAllowedError(method, path, allow)
        return endpoints.not_found

    def authorized(self, request: Request) -> bool:
        """The request carries a valid bearer token, or the server asks for none."""
        if not self._tokens:
            return True
        header = request.headers.get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() == b"bearer" and token:
            for known in self._tokens:
                if hmac.compare_digest(token.strip(), known):
                    return True
        return False

    def _authorize(self, request: Request) -> None:
        if self.authorized(request):
            return
        raise UnauthorizedError(
            "This server needs a bearer token.",
            hint="Send the header 'Authorization: Bearer <token>'.",
        )

    # -- lifespan --------------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("The server could not start")
                    self.startup_error = str(exc)
                    await self.shutdown()
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        if self._workspace is None:
            settings = server_settings(self.options)
            self._workspace = await asyncio.to_thread(Workspace, settings)
        workspace = self._workspace
        if self.options.log_predictions:
            self.prediction_log = PredictionLog(
                workspace.artifacts, flush_interval=self.options.log_flush_interval,
                max_pending_rows=self.options.log_max_pending_rows,
            )  # fmt: skip
            self._readings(self.prediction_log)
        trust = True if self.options.trusted else self.options.trusted_types
        self._router = Router(self.options.deployment, workspace, self.make_variant,
                              self.metrics, trusted=trust)  # fmt: skip
        await self._router.start()
        # after loading: threadpoolctl caps the pools of the libraries loaded by then
        threadpoolctl.threadpool_limits(limits=self.options.native_threads)
        self._poller = asyncio.get_running_loop().create_task(
            self._router.poll(self.options.poll_interval), name="shipyard-swap-poller"
        )
        if self.options.metrics_dir is not None:
            self._publisher = asyncio.get_running_loop().create_task(
                self._publish(), name="shipyard-metrics-publisher"
            )
        if self._freeze_heap:
            heap.freeze()  # the models are loaded and warm: leave them out of collections
        self.ready = True

    async def _publish(self) -> None:
        """Keep this worker's readings in its metrics file fresh for the other workers."""
        while True:
            await asyncio.sleep(PUBLISH_INTERVAL)
            self.metrics.publish()

    def _readings(self, prediction_log: PredictionLog) -> None:
        def stats() -> LogStats:
            return prediction_log.stats

        reading = self.metrics.reading
        reading("shipyard_prediction_log_pending_rows", "gauge",
                "Logged predictions not yet written: what a crash would lose now.",
                lambda: stats().pending)  # fmt: skip
        reading("shipyard_prediction_log_written_rows_total", "counter",
                "Rows written to the prediction log.", lambda: stats().written)  # fmt: skip
        reading("shipyard_prediction_log_rejected_rows_total", "counter",
                "Rows the prediction log could not store, set aside in its rejects files.",
                lambda: stats().rejected)  # fmt: skip
        reading("shipyard_prediction_log_failed_flushes_total", "counter",
                "Writes of the prediction log that failed (retried).",
                lambda: stats().failed_flushes)  # fmt: skip
        reading("shipyard_prediction_log_failing", "gauge",
                "1 while the prediction log's last write failed.",
                lambda: int(stats().failing))  # fmt: skip

    async def shutdown(self) -> None:
        """Stop polling, answer every queued request, then write the prediction log out."""
        self.ready, self.stopping = False, True
        for task in (self._poller, self._publisher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._router is not None:
            await self._router.close()
        if self.prediction_log is not None:
            try:
                await asyncio.to_thread(self.prediction_log.close)
            except Exception:
                log.exception("The prediction log could not be written out")
            stats = self.prediction_log.stats
            log.info("prediction log closed: %d rows written, %d not written", stats.written,
                     stats.pending)  # fmt: skip
        self.metrics.close()  # the last readings, for the workers still serving
        if self._owns_workspace and self._workspace is not None:
            self._workspace.close()

    def describe(self) -> dict[str, Any]:
        table = self._router.table if self._router is not None else None
        return {
            "deployment": self.options.deployment,
            "ready": self.ready,
            "serving": [] if table is None else [v.describe() for v in table.routes],
            "shadows": [] if table is None else [v.describe() for v in table.shadows],
            "weights": [] if table is None else table.weights,
            "last_error": None if self._router is None else self._router.failures.last_error,
            "prediction_log": None if self.prediction_log is None else self.log_state(),
        }

    def log_state(self) -> dict[str, Any]:
        """What the prediction log is doing, for readiness: ``ok`` or ``failing``."""
        assert self.prediction_log is not None
        stats = self.prediction_log.stats
        return {"status": "failing" if stats.failing else "ok", "on_failure":
                self.options.log_failure, "pending": stats.pending, "written": stats.written,
                "rejected": stats.rejected, "unlogged": sum(self.metrics.unlogged.values()),
                "last_error": stats.last_error}  # fmt: skip
