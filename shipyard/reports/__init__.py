"""Self-contained reports: Jinja templates shipped inside a package, matplotlib figures drawn
off-screen and inlined as SVG data URIs, and the files written side by side.

Used by the evaluation report and the monitoring report. jinja2 and matplotlib are imported on
first use, so importing a package that can write a report costs nothing until it does.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPORT_FILES = {"markdown": "report.md", "html": "report.html"}
"""The file each rendering of a report is written to."""


def template(package: str, name: str, filters: Mapping[str, Callable[..., str]]) -> Any:
    """Template ``name`` from ``package``'s ``templates`` folder: HTML templates autoescape,
    undefined names are errors, and ``filters`` are available to it."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(filters)
    return environment.get_template(name)


def figure(width: float, height: float, **margins: float) -> Any:
    """A matplotlib figure on an off-screen canvas (never pyplot, so no global state and no
    display); ``margins`` go to ``subplots_adjust`` (left, right, bottom, top, wspace)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = Figure(figsize=(width, height))
    drawn.subplots_adjust(**margins)
    FigureCanvasAgg(drawn)
    return drawn


def svg_data_uri(drawn: Any) -> str:
    """The figure as an inline SVG data URI; the same figure always gives the same bytes (no
    date, a fixed hash salt), so a report's hash depends only on its content."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "shipyard"}):
        drawn.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def write_files(
    directory: str | Path, rendered: Mapping[str, str], names: Mapping[str, str] = REPORT_FILES
) -> dict[str, Path]:
    """Write each rendering into ``directory``, under the file ``names`` gives its key."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, text in rendered.items():
        path = folder / names[key]
        path.write_text(text, encoding="utf-8")
        paths[key] = path
    return paths
