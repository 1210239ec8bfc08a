"""The scorecard as Markdown (a pull-request comment, a wiki page) and as a self-contained
HTML page whose maturity grid is a heatmap, written with the shared report helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.reports import REPORT_FILES, template, write_files
from shipyard.scorecard.grid import ASPECTS, PRINCIPLES
from shipyard.scorecard.record import SECTION_TITLES, SECTIONS, Scorecard

#: Heatmap colours: maturity 1, 2, 3 and item points 0, 0.5, 1.
LEVEL_COLOURS = {1: "#f4c7c3", 2: "#fce8b2", 3: "#b7e1cd"}
POINT_COLOURS = {0.0: "#f4c7c3", 0.5: "#fce8b2", 1.0: "#b7e1cd"}


def view(card: Scorecard) -> dict[str, Any]:
    """What both templates show: sections with their items, the grid by principle."""
    cells = {(c.principle, c.aspect): c for c in card.grid}
    return {
        "card": card,
        "sections": [
            {"name": SECTION_TITLES[s], "total": card.sections[s],
             "rows": [i for i in card.items if i.section == s]}
            for s in SECTIONS
        ],
        "aspects": ASPECTS,
        "grid": [{"principle": p, "cells": [cells[(p, a)] for a in ASPECTS]} for p in PRINCIPLES],
        "level_colours": LEVEL_COLOURS,
        "point_colours": POINT_COLOURS,
    }  # fmt: skip


def to_markdown(card: Scorecard) -> str:
    return str(_template("scorecard.md.j2").render(**view(card)))


def to_html(card: Scorecard) -> str:
    return str(_template("scorecard.html.j2").render(**view(card)))


def write_scorecard(card: Scorecard, directory: str | Path) -> dict[str, Path]:
    """Write ``report.html`` (the heatmap) and ``report.md`` into ``directory``."""
    rendered = {"html": to_html(card), "markdown": to_markdown(card)}
    return write_files(directory, rendered, REPORT_FILES)


def _template(name: str) -> Any:
    return template("shipyard.scorecard", name, {"num": _num, "pts": _points})


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _points(value: float) -> str:
    return f"{value:g}"
