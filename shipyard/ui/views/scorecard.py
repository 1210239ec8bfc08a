"""The scorecard: the ML Test Score with Table V's reading, the four sections with their items
(points, why, evidence, next action), the maturity grid as a heatmap, the MLOps level and the
delivery metrics, laid out by the scorecard's own renderer (``shipyard.scorecard.render``);
its self-contained HTML report; and the attest action."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request

import shipyard as sy
from shipyard.scorecard.render import to_html, view
from shipyard.ui.pages import action, download, form_text, page
from shipyard.ui.state import UiState

WINDOW = "90d"


def _card(request: Request, state: UiState) -> sy.Scorecard:
    query = request.query_params
    return sy.scorecard(
        query.get("model") or None,
        since=query.get("since") or WINDOW,
        workspace=state.workspace(),
    )


@page(
    "/scorecard",
    "scorecard.html",
    "The ML Test Score of a model (or every model) over a window: sections and items, the "
    "maturity grid, the MLOps level and the delivery metrics",
    params=("model", "since"),
)
def scorecard(request: Request, state: UiState) -> dict[str, Any]:
    card = _card(request, state)
    laid = view(card)
    return {
        "scorecard": card.to_dict(),
        "sections": [
            {"name": s["name"], "total": s["total"], "items": [i.to_dict() for i in s["rows"]]}
            for s in laid["sections"]
        ],
        "aspects": list(laid["aspects"]),
        "grid": [
            {"principle": row["principle"], "cells": [c.to_dict() for c in row["cells"]]}
            for row in laid["grid"]
        ],
        "level_colours": laid["level_colours"],
        "point_colours": laid["point_colours"],
        "filters": {"model": request.query_params.get("model") or None,
                    "since": request.query_params.get("since") or WINDOW},
    }  # fmt: skip


@download("/scorecard/report", inline=True)
def report(request: Request, state: UiState) -> tuple[bytes, str, str]:
    """The scorecard as its self-contained HTML page (the heatmap ``shipyard scorecard``
    writes), for the same ``model`` and ``since``."""
    return to_html(_card(request, state)).encode(), "scorecard.html", "text/html"


@action(
    "/scorecard/attest",
    "Record that a scorecard item was checked by hand (worth half a point until it expires)",
    fields=("item", "note", "link", "model"),
)
def attest(request: Request, state: UiState, form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    model = form_text(form, "model")
    made = sy.attest(
        form_text(form, "item", required=True) or "",
        form_text(form, "note", required=True) or "",
        link=form_text(form, "link"),
        model=model,
        actor=state.actor(request),
        workspace=state.workspace(),
    )
    result = {**made.to_dict(), "message": f"Attested {made.item} as {made.actor}."}
    back = "/scorecard" + (f"?model={quote(model)}" if model else "")
    return back, result
