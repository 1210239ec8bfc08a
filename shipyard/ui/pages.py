"""Pages and actions, each declared once: a page is a view function returning plain data, served
as HTML at its path and as JSON at ``/api`` + its path; an action is a POST (a form in the page,
JSON under ``/api``), checked for its CSRF token and absent with ``--read-only``.

The OpenAPI document (``openapi.py``) is generated from these declarations."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shipyard.core.errors import PolicyViolationError, ShipyardError, UsageError
from shipyard.ui.render import error_response, html, json_response, problem
from shipyard.ui.security import CSRF_FIELD, CSRF_HEADER
from shipyard.ui.state import UiState

log = logging.getLogger("shipyard.ui")

View = Callable[[Request, UiState], dict[str, Any]]
Act = Callable[[Request, UiState, dict[str, str]], tuple[str, dict[str, Any]]]
"""An action: given the form, do it and return (the page to go back to, the result)."""


@dataclass(frozen=True)
class Page:
    path: str
    template: str
    view: View
    summary: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    path: str
    act: Act
    summary: str
    fields: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Download:
    path: str
    fetch: Callable[[Request, UiState], tuple[bytes, str, str]]
    """Given the request: (content, file name, media type)."""
    inline: bool = False
    """Shown in the browser (a report) rather than saved."""


PAGES: list[Page] = []
ACTIONS: list[Action] = []
DOWNLOADS: list[Download] = []


def download(
    path: str, *, inline: bool = False
) -> Callable[[Callable[[Request, UiState], tuple[bytes, str, str]]], Any]:
    def register(fetch: Callable[[Request, UiState], tuple[bytes, str, str]]) -> Any:
        DOWNLOADS.append(Download(path, fetch, inline))
        return fetch

    return register


async def serve_download(request: Request, target: Download, state: UiState) -> Response:
    try:
        content, name, media = await run_in_threadpool(target.fetch, request, state)
    except ShipyardError as error:
        return error_response(request, state, error)
    except Exception:
        log.exception("The UI failed on %s", request.url.path)
        return error_response(request, state, None)
    safe = quote(name.rsplit("/", 1)[-1])
    if target.inline:  # a stored report: shown, with no script allowed to run in it
        policy = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox; "
                  "frame-ancestors 'self'")  # fmt: skip
        headers = {"content-security-policy": policy, "x-frame-options": "SAMEORIGIN"}
        return Response(content, media_type=media, headers=headers)
    return Response(
        content,
        media_type=media,
        headers={"content-disposition": f"attachment; filename*=UTF-8''{safe}"},
    )


def page(
    path: str, template: str, summary: str, params: tuple[str, ...] = ()
) -> Callable[[View], View]:
    def register(view: View) -> View:
        PAGES.append(Page(path, template, view, summary, params))
        return view

    return register


def action(path: str, summary: str, fields: tuple[str, ...] = ()) -> Callable[[Act], Act]:
    def register(act: Act) -> Act:
        ACTIONS.append(Action(path, act, summary, fields))
        return act

    return register


MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """An HTML form's fields (``application/x-www-form-urlencoded``, the only kind the UI's
    forms send); anything larger than a form needs is cut off."""
    body = await request.body()
    text = body[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
    return dict(parse_qsl(text, keep_blank_values=True))


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def serve_page(request: Request, target: Page, state: UiState) -> Response:
    try:
        data = await run_in_threadpool(target.view, request, state)
        if is_api(request):
            return json_response(data)
        return html(request, state, target.template, data)
    except ShipyardError as error:
        return error_response(request, state, error)
    except Exception:  # never a traceback to the browser; the server log keeps it
        log.exception("The UI failed on %s", request.url.path)
        return error_response(request, state, None)


async def serve_action(request: Request, target: Action, state: UiState) -> Response:
    if is_api(request) and request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error_response(
                request,
                state,
                UsageError(
                    "The request body is not a JSON object.",
                    hint='Send e.g. {"alias": "production"}.',
                ),
            )
        form = {str(k): "" if v is None else str(v) for k, v in body.items()}
    else:
        form = await read_form(request)
    submitted = form.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER)
    if not state.guard.csrf_ok(request, submitted):
        return problem(
            request,
            state,
            status=403,
            message="This form has no valid CSRF token, so the action was not taken.",
            hint="Reload the page and submit the form again.",
        )
    try:
        back, result = await run_in_threadpool(target.act, request, state, form)
    except PolicyViolationError as error:
        return error_response(request, state, error, reasons=list(error.reasons))
    except ShipyardError as error:
        return error_response(request, state, error)
    except Exception:
        log.exception("The UI failed on %s", request.url.path)
        return error_response(request, state, None)
    if is_api(request):
        return json_response(result)
    note = result.get("message", "Done.")
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}done={quote(str(note))}", status_code=303)


_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def path_params(path: str) -> list[str]:
    return _PARAM.findall(path)


def form_text(form: dict[str, str], key: str, *, required: bool = False) -> str | None:
    value = (form.get(key) or "").strip()
    if required and not value:
        raise UsageError(f"The form needs a {key}.", hint=f"Fill in the {key} field.")
    return value or None
