"""The server's own HTTP/1.1 protocol, spoken over raw sockets to a real server: requests
pipelined on one connection are answered in order, ``Expect: 100-continue`` is honoured, an
oversized body is refused before it is sent, bad HTTP is a 400, and each way a connection
ends (HTTP/1.0, ``Connection: close``, a client gone mid-request) leaves the server serving."""

from __future__ import annotations

import socket

import orjson

from tests.serving.models import GOOD
from tests.serving.server import Server

BODY = orjson.dumps({"instances": [GOOD]})


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(10)
    return sock


def _predict(request_id: str, *, extra: bytes = b"", body: bytes = BODY) -> bytes:
    return (b"POST /predict HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
            b"x-request-id: " + request_id.encode() + b"\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)  # fmt: skip


class Reader:
    """Reads responses off one connection, as a client library would."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def response(self, *, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"the connection closed mid-response: {self.buffer!r}"
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode().split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "the connection closed mid-body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def closed(self) -> bool:
        """The server closed the connection (and sent nothing more)."""
        return self.buffer == b"" and not self._fill()


def test_pipelined_requests_are_answered_in_order_on_one_connection(server: Server) -> None:
    names = [f"pipelined-{i}" for i in range(20)]
    with _connect(server) as sock:
        sock.sendall(b"".join(_predict(name) for name in names))
        reader = Reader(sock)
        answered = []
        for _ in names:
            status, headers, body = reader.response()
            assert status == 200, body
            answered.append(orjson.loads(body)["request_id"])
            assert headers["x-request-id"] == answered[-1]
        assert answered == names
        sock.sendall(_predict("after"))  # the connection is still open for more
        assert orjson.loads(reader.response()[2])["request_id"] == "after"


def test_expect_100_continue_is_answered_before_the_body_is_sent(server: Server) -> None:
    head, body = _predict("continued", extra=b"expect: 100-continue\r\n").split(b"\r\n\r\n", 1)
    with _connect(server) as sock:
        sock.sendall(head + b"\r\n\r\n")
        reader = Reader(sock)
        assert reader.response(head_only=True)[0] == 100
        sock.sendall(body)
        status, _, answer = reader.response()
        assert status == 200 and orjson.loads(answer)["request_id"] == "continued"


def test_a_declared_oversized_body_is_refused_without_being_sent(server: Server) -> None:
    head = _predict("huge", body=b"").replace(b"content-length: 0", b"content-length: 9000000")
    with _connect(server) as sock:
        sock.sendall(head)  # the server's limit is 65,536 bytes; not one body byte follows
        reader = Reader(sock)
        status, headers, body = reader.response()
        assert status == 413
        assert orjson.loads(body)["error"]["type"] == "PayloadTooLargeError"
        assert headers["connection"] == "close"
        assert reader.closed()


def test_bytes_that_are_not_http_and_upgrades_are_a_400_and_the_connection_closes(
    server: Server,
) -> None:
    for request in (
        b"HELLO there\r\n\r\n",
        b"GET /health/live HTTP/1.1\r\nhost: test\r\nconnection: upgrade\r\n"
        b"upgrade: websocket\r\n\r\n",
        b"GET http://[bad/x HTTP/1.1\r\nhost: test\r\n\r\n",
    ):
        with _connect(server) as sock:
            sock.sendall(request)
            reader = Reader(sock)
            status, _, body = reader.response()
            assert status == 400, body
            assert orjson.loads(body)["error"]["type"] == "MalformedRequestError"
            assert reader.closed()


def test_http_1_0_and_connection_close_end_the_connection_after_the_answer(
    server: Server,
) -> None:
    for request in (
        _predict("one-oh").replace(b"HTTP/1.1", b"HTTP/1.0"),
        _predict("closing", extra=b"connection: close\r\n"),
    ):
        with _connect(server) as sock:
            sock.sendall(request)
            reader = Reader(sock)
            status, headers, _ = reader.response()
            assert status == 200 and headers["connection"] == "close"
            assert reader.closed()


def test_a_head_request_gets_headers_only(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"HEAD /health/live HTTP/1.1\r\nhost: test\r\n\r\n"
                     b"GET /health/live HTTP/1.1\r\nhost: test\r\n\r\n")  # fmt: skip
        reader = Reader(sock)
        status, headers, _ = reader.response(head_only=True)
        assert status == 405 and int(headers["content-length"]) > 0
        status, _, body = reader.response()  # starts right after the head: no body was sent
        assert status == 200 and orjson.loads(body) == {"status": "live"}


def test_a_client_gone_mid_request_leaves_the_server_serving(server: Server) -> None:
    for cut in (20, len(_predict("cut")) - 5):
        with _connect(server) as sock:
            sock.sendall(_predict("cut")[:cut])
    with _connect(server) as sock:
        sock.sendall(_predict("whole"))
        status, _, body = Reader(sock).response()
        assert status == 200 and orjson.loads(body)["request_id"] == "whole"
