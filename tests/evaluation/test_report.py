"""Reports: Markdown and one self-contained HTML page with the plots inline."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from shipyard.evaluation.evaluate import evaluate
from shipyard.evaluation.report import render_html, render_markdown, write_report
from shipyard.evaluation.result import Baseline, EvaluationResult

from .conftest import make_spec

IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def result(biased_model: Pipeline, weak_model: Pipeline, holdout: pd.DataFrame) -> EvaluationResult:
    spec = make_spec(
        {"kind": "threshold", "metric": "roc_auc", "min": 0.7},
        {"kind": "no_regression", "metric": "roc_auc"},
        {"kind": "slice", "column": "region", "metric": "recall", "min": 0.5},
        {"kind": "fairness", "sensitive": "sex", "constraint": "demographic_parity"},
        {"kind": "invariance", "columns": ["sex"]},
        {"kind": "directional", "column": "debt_ratio", "delta": 0.1, "expect": "increase"},
        {
            "kind": "minimum_functionality",
            "cases": [{"input": {"income": 1000.0}, "expect": 1, "name": "poor | repays"}],
        },
        slices=["region"],
    )
    return evaluate(
        biased_model, holdout, spec, baselines={"production": Baseline(weak_model, "3")}
    )


def assert_self_contained(text: str) -> None:
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"<(link|script)\b", text)
    assert not re.search(r'src="(?!data:)', text)


def test_html_is_self_contained_with_every_plot_inline(
    result: EvaluationResult, tmp_path: Path
) -> None:
    paths = write_report(result, tmp_path / "report")
    assert paths == {
        "markdown": tmp_path / "report" / "report.md",
        "html": tmp_path / "report" / "report.html",
    }
    html = paths["html"].read_text(encoding="utf-8")
    assert_self_contained(html)
    for section in (
        "plot-roc",
        "plot-pr",
        "plot-calibration",
        "plot-confusion",
        "slices",
        "fairness",
        "behaviour",
        "gates",
        "metrics",
        "feature-importance",
    ):
        assert f'id="{section}' in html, section
    images = IMAGE.findall(html)
    # ROC, PR, calibration, confusion, region bars, fairness bars, importance bars, beeswarm
    assert len(images) == 8
    for encoded in images:
        svg = base64.b64decode(encoded)
        root = ET.fromstring(svg)  # well-formed SVG
        assert root.tag.endswith("svg")
        # anything an SVG links to is inside it (the heat map's raster is a data URI)
        for element in root.iter():
            for key, value in element.attrib.items():
                if key.endswith("href"):
                    assert value.startswith(("#", "data:image/")), value
    assert "REJECTED" in html and "production v3" in html
    assert "poor | repays" in html  # user text is escaped, not interpreted
    assert "&lt;script" in render_html(_with_hostile_label(result))


def _with_hostile_label(result: EvaluationResult) -> EvaluationResult:
    data = result.to_dict()
    data["label"] = "<script>alert(1)</script>"
    return EvaluationResult.from_dict(data)


def test_markdown_has_the_same_sections_as_tables(result: EvaluationResult) -> None:
    markdown = render_markdown(result)
    assert_self_contained(markdown)
    assert markdown.startswith("# Evaluation report: REJECTED")
    for heading in (
        "## Gates",
        "## Metrics",
        "## ROC curve",
        "## Precision-recall curve",
        "## Calibration",
        "## Confusion matrix",
        "## Slices",
        "### By region",
        "## Fairness",
        "### Over sex",
        "## Behaviour",
    ):
        assert f"\n{heading}\n" in markdown, heading
    failed = [g for g in result.gates if not g.passed]
    assert failed
    for gate in result.gates:
        assert (
            f"| {gate.name} | {gate.kind} | {'pass' if gate.passed else '**FAIL**'} |" in markdown
        )
    assert "| metric | direction | candidate | production v3 | change |" in markdown
    assert "poor \\| repays" in markdown  # a pipe in a cell does not break the table
    for line in markdown.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line


def test_reports_render_the_same_from_a_stored_result(result: EvaluationResult) -> None:
    stored = EvaluationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert render_markdown(stored) == render_markdown(result)
    assert render_html(stored) == render_html(result)  # figures are deterministic too


def test_a_report_with_no_gates_no_scores_and_no_baseline(holdout: pd.DataFrame) -> None:
    from sklearn.svm import LinearSVC

    model = LinearSVC().fit(holdout[["debt_ratio", "age"]], holdout["repaid"])
    result = evaluate(model, holdout[["debt_ratio", "age", "repaid"]], make_spec())
    assert result.passed and result.metrics["roc_auc"] is None
    html = render_html(result)
    assert "No gates are declared." in html and "No baseline version" in html
    assert 'id="plot-confusion"' in html and 'id="plot-roc"' not in html
    assert "gives no probabilities" in render_markdown(result)


def test_the_same_evaluation_gives_byte_identical_reports(
    biased_model: Pipeline, holdout: pd.DataFrame, tmp_path: Path
) -> None:
    """Reports are stored by content hash: timings and randomness stay out of them."""
    spec = make_spec(
        {"kind": "invariance", "columns": ["income"], "perturb": "noise"},
        {"kind": "fairness", "sensitive": "sex", "constraint": "demographic_parity"},
    )
    first = write_report(evaluate(biased_model, holdout, spec), tmp_path / "a")
    second = write_report(evaluate(biased_model, holdout, spec), tmp_path / "b")
    for key in ("markdown", "html"):
        assert first[key].read_bytes() == second[key].read_bytes()
