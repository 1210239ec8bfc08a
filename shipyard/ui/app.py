"""The UI's ASGI app: routes for every page (HTML and its ``/api`` JSON twin) and action, the
login form, static files, and the gate in front of them (token, session cookie, security
headers)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from shipyard.core.settings import Settings
from shipyard.ui.openapi import openapi_document
from shipyard.ui.pages import (
    ACTIONS,
    DOWNLOADS,
    PAGES,
    Action,
    Download,
    Page,
    read_form,
    serve_action,
    serve_download,
    serve_page,
)
from shipyard.ui.render import html, json_response, problem
from shipyard.ui.security import (
    ACTOR_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    TOKEN_COOKIE,
    Guard,
    new_session,
)
from shipyard.ui.state import UiState

if TYPE_CHECKING:
    from shipyard import Workspace

VIEW_MODULES = ("home", "runs", "compare", "models", "datasets", "deployments", "rollouts",
                "monitoring", "scorecard")  # fmt: skip
OPEN_PATHS = ("/login", "/static/")
HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def create_app(
    settings: Settings,
    *,
    tokens: Sequence[str] | None = None,
    read_only: bool = False,
    workspace: Workspace | None = None,
) -> Starlette:
    """The UI over the store of ``settings`` (or an open ``workspace``)."""
    for module in VIEW_MODULES:  # each registers its pages and actions
        importlib.import_module(f"shipyard.ui.views.{module}")
    state = UiState(settings, guard=Guard(tokens), read_only=read_only, workspace=workspace)
    routes: list[BaseRoute] = [
        Route("/login", _login_page(state), methods=["GET"]),
        Route("/login", _login(state), methods=["POST"]),
        Route("/logout", _logout(state), methods=["POST"]),
        Route("/api/openapi.json", _openapi(state), methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("shipyard.ui", "static")]), name="static"),
    ]
    for target in PAGES:
        endpoint = _page_endpoint(target, state)
        routes += [
            Route(target.path, endpoint, methods=["GET"]),
            Route("/api" + target.path, endpoint, methods=["GET"]),
        ]
    routes += [Route(d.path, _download_endpoint(d, state), methods=["GET"]) for d in DOWNLOADS]
    for act in ACTIONS:
        endpoint = _read_only(state) if read_only else _action_endpoint(act, state)
        routes += [
            Route(act.path, endpoint, methods=["POST"]),
            Route("/api" + act.path, endpoint, methods=["POST"]),
        ]

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = {
            404: f"There is no page at {request.url.path}.",
            405: f"{request.url.path} does not take a {request.method} request"
            + (" (this UI is read-only)." if read_only else "."),
        }.get(status, "The request could not be served.")
        return problem(
            request, state, status=status, message=message, hint="Start from the home page, /."
        )

    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Gate, state=state)],
        exception_handlers={HTTPException: http_error},
        lifespan=_lifespan(state),
    )
    app.state.ui = state
    return app


def _lifespan(state: UiState) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(state.warm)
        try:
            yield
        finally:
            state.close()

    return lifespan


class _Gate(BaseHTTPMiddleware):
    """A session cookie for everyone; the token for everything but the login form and static
    files; security headers on every answer."""

    def __init__(self, app: object, state: UiState) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.state = state

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        fresh = None if session else new_session()
        request.state.session = session or fresh
        path = request.url.path
        if not path.startswith(OPEN_PATHS) and not self.state.guard.authenticated(request):
            if path.startswith("/api/"):
                response: Response = problem(
                    request,
                    self.state,
                    status=401,
                    message="This UI needs a token.",
                    hint="Send `Authorization: Bearer TOKEN` (a token from the --token-file).",
                )
            else:
                target = quote(path + (f"?{request.url.query}" if request.url.query else ""))
                response = RedirectResponse(f"/login?next={target}", status_code=303)
        else:
            response = await call_next(request)
        if fresh:
            response.set_cookie(SESSION_COOKIE, fresh, httponly=True, samesite="strict")
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response


Endpoint = Callable[[Request], Awaitable[Response]]


def _page_endpoint(target: Page, state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await serve_page(request, target, state)

    return endpoint


def _download_endpoint(target: Download, state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await serve_download(request, target, state)

    return endpoint


def _action_endpoint(target: Action, state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await serve_action(request, target, state)

    return endpoint


def _read_only(state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return problem(request, state, status=405,
                       message="This UI is read-only: it takes no actions.",
                       hint="Use the CLI or the Python API, or start `shipyard ui` without "
                       "--read-only.")  # fmt: skip

    return endpoint


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        data = {"next": _safe_next(request.query_params.get("next")), "failed": False}
        return html(request, state, "login.html", data)

    return endpoint


def _login(state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        token, name = form.get("token") or "", (form.get("name") or "").strip()
        target = _safe_next(form.get("next") or "/")
        if not state.guard.csrf_ok(request, form.get(CSRF_FIELD) or ""):
            return problem(
                request,
                state,
                status=403,
                message="The sign-in form has no valid CSRF token.",
                hint="Reload the sign-in page and try again.",
            )
        if state.guard.required and not state.guard.valid_token(token):
            return html(request, state, "login.html", {"next": target, "failed": True}, 401)
        response = RedirectResponse(target, status_code=303)
        if state.guard.required:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        if name:
            response.set_cookie(ACTOR_COOKIE, name[:100], httponly=True, samesite="strict")
        return response

    return endpoint


def _logout(state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        if not state.guard.csrf_ok(request, form.get(CSRF_FIELD) or ""):
            return problem(
                request,
                state,
                status=403,
                message="The form has no valid CSRF token.",
                hint="Reload the page and try again.",
            )
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE)
        response.delete_cookie(ACTOR_COOKIE)
        return response

    return endpoint


def _openapi(state: UiState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return json_response(openapi_document(PAGES, [] if state.read_only else ACTIONS))

    return endpoint
