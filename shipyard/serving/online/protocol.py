"""The server's own HTTP/1.1 protocol, which uvicorn's server runs in place of its ASGI one.

uvicorn still owns the process: sockets, signals, the lifespan (models load and the prediction
log flushes there) and graceful shutdown. Per request, its ASGI protocol builds a scope, an
event, a request-response cycle and a dozen message dicts, and checks every response header;
on a saturated server that was about a tenth of the CPU a request cost. This protocol parses with
the same parser (httptools), hands :meth:`ServingApp.respond` the whole body, and writes each
response in one call. Keep-alive (with uvicorn's idle timeout), pipelined requests (answered
in order), ``Expect: 100-continue``, flow control and graceful shutdown behave as before. A
body over ``--max-body`` is refused when its size is known (413, then the connection closes)
and is never buffered past the limit.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections import deque
from typing import Any, cast

import httptools
import uvicorn
from uvicorn.server import ServerState

from shipyard.core.errors import ShipyardError
from shipyard.core.logging import get_logger
from shipyard.serving.online.app import ServingApp
from shipyard.serving.online.http import (
    MalformedRequestError,
    Request,
    Response,
    error_response,
    too_large,
)

log = get_logger(__name__)

MAX_WAITING = 16
"""Pipelined requests read ahead of their answers before the connection stops reading."""
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class HttpProtocol(asyncio.Protocol):
    """One client connection. Pass the class as uvicorn's ``http``; its app is the ServingApp."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        app = config.app
        if not isinstance(app, ServingApp):
            raise TypeError(f"HttpProtocol serves a ServingApp, not {type(app).__name__}.")
        self.app = app
        self.loop = _loop or asyncio.get_event_loop()
        self.state = server_state
        self.keep_alive_timeout = config.timeout_keep_alive
        self.limit = app.options.max_body_bytes
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client: Any = None
        # the request being read
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._chunks: list[bytes] = []
        self._size = 0
        self._started = 0.0
        self._handed_over = False
        # requests read and not yet answered, answered in order
        self._waiting: deque[tuple[Request, bool]] = deque()
        self._answering = False
        self._reading_paused = False
        self._writing_paused = False
        self._refusing = False
        self._shutting_down = False
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the connection ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.state.connections.add(self)  # type: ignore[arg-type]
        self.transport = cast(asyncio.Transport, transport)
        self.client = transport.get_extra_info("peername")

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self._cancel_timer()
        self._waiting.clear()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._cancel_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse("This server does not upgrade connections.")
        except httptools.HttpParserCallbackError:
            log.exception("Failed reading a request from %s", self.client)
            self._refuse("The request could not be read.")
        except httptools.HttpParserError:
            self._refuse("The request is not valid HTTP/1.1.")

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._update_reading()

    def shutdown(self) -> None:
        """Graceful shutdown (uvicorn calls it): an idle connection closes now, a busy one
        after its current answer."""
        self._shutting_down = True
        if not self._answering and self.transport is not None:
            self.transport.close()

    # -- parser callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._chunks = []
        self._size = 0
        self._started = time.perf_counter()
        self._handed_over = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value.rstrip(b" \t")

    def on_headers_complete(self) -> None:
        length = self._headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            self._hand_over(too_large(self.limit))  # answered at once; the body is never read
        elif self._headers.get(b"expect", b"").lower() == b"100-continue" and self.transport:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._handed_over:
            return
        self._size += len(body)
        if self._size > self.limit:
            self._hand_over(too_large(self.limit))
        else:
            self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._handed_over:
            chunks = self._chunks
            self._hand_over(body=chunks[0] if len(chunks) == 1 else b"".join(chunks))

    # -- answering -----------------------------------------------------------------------------

    def _hand_over(self, error: ShipyardError | None = None, body: bytes = b"") -> None:
        """Pass the request read so far to the app (after the ones before it)."""
        self._handed_over = True
        try:
            raw = (httptools.parse_url(self._url).path or b"/").decode("latin-1")
        except httptools.HttpParserInvalidURLError:
            self._refuse("The request's target is not a valid URL path.")
            return
        path = urllib.parse.unquote(raw) if "%" in raw else raw
        method = self.parser.get_method().decode("ascii")
        request = Request(method, path, self._headers, self._started, client=self.client,
                          body=body, error=error)  # fmt: skip
        keep_alive = error is None and self.parser.should_keep_alive()
        if self._answering:
            self._waiting.append((request, keep_alive))
            self._update_reading()
        else:
            self._answer(request, keep_alive)
        if error is not None:
            self._refusing = True  # the rest of an oversized body is not read
            self._update_reading()

    def _answer(self, request: Request, keep_alive: bool) -> None:
        self._answering = True
        self._task = self.loop.create_task(self._respond(request, keep_alive))

    async def _respond(self, request: Request, keep_alive: bool) -> None:
        try:
            response = await self.app.respond(request)
            self._write(response, keep_alive, head_only=request.method == "HEAD")
        except Exception:  # respond maps every error to a response: this is a bug guard
            log.exception("Failed answering %s %s", request.method, request.path)
            if self.transport is not None:
                self.transport.close()

    def _write(self, response: Response | None, keep_alive: bool, *, head_only: bool) -> None:
        self.state.total_requests += 1
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if response is None:  # the client went away
            transport.close()
            return
        keep_alive = keep_alive and not self._shutting_down
        transport.write(response.encode(keep_alive=keep_alive, head_only=head_only))
        if not keep_alive:
            transport.close()
            return
        self._answering = False
        if self._waiting:
            self._answer(*self._waiting.popleft())
            self._update_reading()
        else:
            self._timer = self.loop.call_later(self.keep_alive_timeout, self._idle_timeout)

    def _refuse(self, message: str) -> None:
        """Answer a request that cannot be read with 400, and close the connection."""
        if self.transport is None or self.transport.is_closing():
            return
        response = error_response(MalformedRequestError(message))
        self.transport.write(response.encode(keep_alive=False))
        self.transport.close()

    # -- flow and timers -----------------------------------------------------------------------

    def _update_reading(self) -> None:
        """Read while the client's answers are being taken and the requests waiting for
        their turn are few."""
        pause = self._writing_paused or self._refusing or len(self._waiting) >= MAX_WAITING
        transport = self.transport
        if pause == self._reading_paused or transport is None or transport.is_closing():
            return
        self._reading_paused = pause
        if pause:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle_timeout(self) -> None:
        self._timer = None
        if self.transport is not None and not self._answering:
            self.transport.close()
