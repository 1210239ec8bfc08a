"""The HTTP vocabulary of the server: a request as handlers see it, responses, and the errors
of the HTTP layer (each a ShipyardError carrying its status), mapped to JSON in one place."""

from __future__ import annotations

import http
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from shipyard.core.errors import InputValidationError, ShipyardError, UsageError
from shipyard.core.ids import new_id

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")


class MalformedRequestError(UsageError):
    """The body is not valid JSON, or a header is malformed."""

    http_status = 400


class UnauthorizedError(ShipyardError):
    """No valid bearer token was sent."""

    http_status = 401


class PayloadTooLargeError(ShipyardError):
    """The body is larger than the server accepts."""

    http_status = 413


class MethodNotAllowedError(ShipyardError):
    """The path exists, but not for this method; ``allow`` lists the methods it takes."""

    http_status = 405

    def __init__(self, method: str, path: str, allow: Sequence[str]) -> None:
        self.allow = tuple(sorted(allow))
        super().__init__(f"{method} is not allowed on {path}; use {' or '.join(self.allow)}.")


class NotReadyError(ShipyardError):
    """The server is starting or stopping."""

    http_status = 503


class ClientGoneError(Exception):
    """The client disconnected before its body arrived; there is no one to answer."""


class Request:
    """One request as the handlers see it, from either front end: the server's own HTTP
    protocol hands over the whole body (or the error reading it met), an ASGI server a
    ``receive`` to read it from."""

    __slots__ = ("_body", "_error", "_receive", "client", "headers", "method", "params", "path",
                 "started")  # fmt: skip

    def __init__(
        self,
        method: str,
        path: str,
        headers: dict[bytes, bytes],
        started: float,
        *,
        client: Any = None,
        body: bytes | None = None,
        receive: Receive | None = None,
        error: ShipyardError | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.started = started
        self.client = client
        self.params: dict[str, str] = {}
        self._body = body
        self._receive = receive
        self._error = error

    def request_id(self, given: str | None = None) -> str:
        """The client's ``x-request-id`` (or body id) when well formed, else a new id."""
        if given is not None and _REQUEST_ID.match(given.encode()):
            return given
        header = self.headers.get(b"x-request-id")
        if header is not None and _REQUEST_ID.match(header):
            return header.decode()
        return new_id()

    async def body(self, limit: int) -> bytes:
        if self._error is not None:
            raise self._error
        length = self.headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                raise MalformedRequestError("The Content-Length header is not a number.")
            if int(length) > limit:
                raise too_large(limit)
        if self._body is not None:
            if len(self._body) > limit:
                raise too_large(limit)
            return self._body
        assert self._receive is not None, "a request has a body or a way to read it"
        chunks = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGoneError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def json(self, limit: int) -> Any:
        raw = await self.body(limit)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise MalformedRequestError(
                f"The body is not valid JSON: {exc}.", hint="Send a JSON object."
            ) from exc


def too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The body is larger than the server accepts ({limit} bytes).",
        hint="Send fewer rows per request, or start the server with a larger --max-body.",
    )


@dataclass
class Response:
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    version: str = "-"
    """The model version that answered (``NAME/N``), for metrics; ``-`` for none."""

    @classmethod
    def json(cls, data: Any, status: int = 200, **fields: Any) -> Response:
        return cls(status, orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), **fields)

    async def send(self, send: Send) -> None:
        headers = [(b"content-type", self.content_type),
                   (b"content-length", str(len(self.body)).encode()), *self.headers]  # fmt: skip
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})

    def encode(self, *, keep_alive: bool = True, head_only: bool = False) -> bytes:
        """The whole HTTP/1.1 response as bytes, for one write to the socket."""
        parts = [_STATUS_LINES.get(self.status) or _status_line(self.status),
                 b"content-type: ", self.content_type,
                 b"\r\ncontent-length: ", str(len(self.body)).encode(), b"\r\n"]  # fmt: skip
        for name, value in self.headers:
            parts += (name, b": ", value, b"\r\n")
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if not head_only:
            parts.append(self.body)
        return b"".join(parts)


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


_STATUS_LINES = {status.value: _status_line(status.value) for status in http.HTTPStatus}


def error_response(error: ShipyardError, *, protocol_v2: bool = False) -> Response:
    """The one mapping of errors to responses: the error's status, a JSON body naming it.
    Open Inference Protocol v2 paths answer in the protocol's shape, ``{"error": "<text>"}``,
    with the same details in ``detail``."""
    detail: dict[str, Any] = {"type": type(error).__name__, "message": error.message}
    if error.hint:
        detail["hint"] = error.hint
    if isinstance(error, InputValidationError):
        detail["problems"] = [{"field": p.field, "problem": p.problem} for p in error.problems]
    headers = [(b"www-authenticate", b"Bearer")] if isinstance(error, UnauthorizedError) else []
    if isinstance(error, MethodNotAllowedError):
        headers.append((b"allow", ", ".join(error.allow).encode()))
    body = {"error": str(error), "detail": detail} if protocol_v2 else {"error": detail}
    return Response.json(body, error.http_status, headers=headers)


Handler = Callable[[Request], Awaitable[Response]]
