"""The OpenAPI 3.1 document of the JSON twins (``GET /api/...``) and actions (``POST
/api/...``), generated from the page and action declarations so it cannot drift from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipyard.ui.pages import Action, Page, path_params

_ERROR = {
    "description": "An error: what went wrong and what to do",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_EXTRA: dict[str, dict[str, Any]] = {
    "/api/runs": {
        "type": "object",
        "required": ["runs", "next_page_token"],
        "properties": {
            "runs": {"type": "array", "items": {"type": "object"}},
            "next_page_token": {"type": ["string", "null"]},
        },
    },
}


def _parameters(path: str, query: Sequence[str]) -> list[dict[str, Any]]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_params(path)
    ]
    found += [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in query
    ]
    return found


def _openapi_path(path: str) -> str:
    return path.replace(":path}", "}")


def openapi_document(pages: Sequence[Page], actions: Sequence[Action]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for page in pages:
        api = "/api" + page.path
        schema = _EXTRA.get(api, {"type": "object"})
        paths.setdefault(_openapi_path(api), {})["get"] = {
            "summary": page.summary,
            "description": f"The JSON twin of the page {page.path}.",
            "parameters": _parameters(page.path, page.params),
            "responses": {
                "200": {
                    "description": page.summary,
                    "content": {"application/json": {"schema": schema}},
                },
                "400": _ERROR,
                "401": _ERROR,
                "404": _ERROR,
                "503": _ERROR,
            },
        }
    for act in actions:
        properties = {name: {"type": "string"} for name in act.fields}
        paths.setdefault(_openapi_path("/api" + act.path), {})["post"] = {
            "summary": act.summary,
            "description": "Needs the CSRF token (field csrf_token or header X-CSRF-Token) "
            "unless called with a bearer token.",
            "parameters": _parameters(act.path, ()),
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": properties}}
                }
            },
            "responses": {
                "200": {
                    "description": "Done",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400": _ERROR,
                "401": _ERROR,
                "403": _ERROR,
                "404": _ERROR,
                "409": _ERROR,
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Shipyard UI",
            "version": "1",
            "description": "Every page of the Shipyard web UI as JSON, and its actions.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "hint": {"type": ["string", "null"]},
                        "status": {"type": "integer"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                }
            }
        },
    }
