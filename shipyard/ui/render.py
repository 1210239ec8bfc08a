"""Turning a view's data into a response: HTML through the Jinja2 templates, JSON with orjson,
and every error as a page (or JSON) that says what went wrong and what to do — never a
traceback."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from shipyard.core.errors import ArtifactMissingError, ShipyardError, StoreError
from shipyard.ui.security import SESSION_COOKIE
from shipyard.ui.state import UiState

NAV = (
    ("/", "Home"),
    ("/runs", "Runs"),
    ("/models", "Models"),
    ("/datasets", "Datasets"),
    ("/deployments", "Deployments"),
    ("/rollouts", "Rollouts"),
    ("/monitoring", "Monitoring"),
    ("/scorecard", "Scorecard"),
    ("/audit", "Audit log"),
)


def when(value: Any) -> str:
    """An ISO time as ``2026-12-07 01:50:03`` (UTC as stored); anything else as text."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def number(value: Any) -> str:
    """A metric value with 4 significant digits; text as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.4g}"
    return str(value)


_env = Environment(
    loader=PackageLoader("shipyard.ui", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = when
_env.filters["number"] = number
# ids are time-ordered, so runs made together share a prefix: their tails tell them apart
_env.filters["short"] = lambda value: "…" + (value or "")[-8:]


def _default(value: Any) -> Any:
    if callable(getattr(value, "to_dict", None)):
        return value.to_dict()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError


def json_response(data: Any, status: int = 200) -> Response:
    body = orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status_code=status, media_type="application/json")


def common(request: Request, state: UiState) -> dict[str, Any]:
    session = getattr(request.state, "session", None) or request.cookies.get(SESSION_COOKIE, "")
    return {
        "request": request,
        "nav": NAV,
        "path": request.url.path,
        "read_only": state.read_only,
        "csrf_token": state.guard.csrf_token(session) if session else "",
        "login_required": state.guard.required,
        "done": request.query_params.get("done"),
    }


def html(
    request: Request, state: UiState, template: str, data: dict[str, Any], status: int = 200
) -> HTMLResponse:
    page = _env.get_template(template).render(**common(request, state), **data, data=data)
    return HTMLResponse(page, status_code=status)


def problem(
    request: Request,
    state: UiState,
    *,
    status: int,
    message: str,
    hint: str | None = None,
    reasons: list[str] | None = None,
) -> Response:
    data = {"error": message, "hint": hint, "status": status, "reasons": reasons or []}
    if request.url.path.startswith("/api/"):
        return json_response(data, status)
    return html(request, state, "error.html", data, status)


TITLES = {
    400: "Bad request",
    401: "Sign in",
    403: "Forbidden",
    404: "Not found",
    409: "Refused",
    503: "Store unavailable",
}


def error_response(
    request: Request,
    state: UiState,
    error: ShipyardError | None,
    *,
    reasons: list[str] | None = None,
) -> Response:
    """The page for ``error`` (None: an unexpected failure, logged by the caller)."""
    if error is None:
        return problem(
            request,
            state,
            status=500,
            message="The UI met an unexpected error; the server's log has the details.",
            hint="Try again; if it persists, report it with the server's log.",
        )
    status = error.http_status
    if isinstance(error, ArtifactMissingError):
        status = 404
    if isinstance(error, StoreError):
        status = 503
    return problem(
        request, state, status=status, message=error.message, hint=error.hint, reasons=reasons
    )


def not_found_json(path: str) -> JSONResponse:
    return JSONResponse({"error": f"No page at {path}.", "hint": "See /api/openapi.json."}, 404)
