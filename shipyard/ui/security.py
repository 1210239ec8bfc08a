"""Who may use the UI: bearer tokens (``--token-file``), a login form that keeps the token in
a cookie, and a CSRF token on every POST.

Sessions are a random cookie; the CSRF token of a session is an HMAC of it under a secret made
when the server starts, so it is checked without server-side state. A POST authenticated by an
``Authorization`` header (a script, never a browser's cross-site request) needs no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from pathlib import Path

from starlette.requests import Request

from shipyard.core.errors import UsageError

SESSION_COOKIE = "shipyard_session"
TOKEN_COOKIE = "shipyard_token"  # noqa: S105 (a cookie name, not a secret)
ACTOR_COOKIE = "shipyard_actor"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def read_token_file(path: str | Path) -> tuple[str, ...]:
    """The tokens of a token file: one per line; blank lines and ``#`` comments skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(
            f"Cannot read the token file {path}: {exc.strerror or exc}.",
            hint="Pass a readable file with one token per line.",
        ) from exc
    tokens = tuple(t for t in (line.strip() for line in lines) if t and not t.startswith("#"))
    if not tokens:
        raise UsageError(
            f"The token file {path} holds no token, only comments or blank lines.",
            hint="Put one token per line, or leave out --token-file.",
        )
    short = [t for t in tokens if len(t) < 8]
    if short:
        raise UsageError(
            f"The token file {path} holds a token shorter than 8 characters.",
            hint="Use long random tokens, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe())'`.",
        )
    return tokens


class Guard:
    """Checks tokens and CSRF tokens for one running UI."""

    def __init__(self, tokens: Sequence[str] | None) -> None:
        self.tokens = tuple(tokens or ())
        self._secret = secrets.token_bytes(32)

    @property
    def required(self) -> bool:
        return bool(self.tokens)

    def valid_token(self, token: str | None) -> bool:
        if not token:
            return False
        given = token.encode()
        return any(hmac.compare_digest(given, known.encode()) for known in self.tokens)

    def bearer(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def authenticated(self, request: Request) -> bool:
        if not self.required:
            return True
        return self.valid_token(self.bearer(request) or request.cookies.get(TOKEN_COOKIE))

    def csrf_token(self, session: str) -> str:
        return hmac.new(self._secret, session.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        """Whether a POST carries the CSRF token of its session (or is a bearer-token call)."""
        if self.bearer(request) is not None:
            return True
        session = request.cookies.get(SESSION_COOKIE)
        if not session or not submitted:
            return False
        return hmac.compare_digest(submitted, self.csrf_token(session))


def new_session() -> str:
    return secrets.token_urlsafe(24)
