"""Every page in a real headless Chromium: it loads with no console error and no failed
request, its charts draw, and axe-core finds no serious or critical accessibility problem."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Watched, axe_violations

PAGES = [
    "/",
    "/runs",
    "/runs/{main}",
    "/runs/{main}/metrics/curve",
    "/compare?runs={main},{broken},{child}&step=100",
    "/models",
    "/models/churn",
    "/models/churn/versions/3",
    "/datasets",
    "/datasets/customers",
    "/datasets/customers/1",
    "/datasets/customers/diff?before=1&after=2",
    "/deployments",
    "/deployments/churn-online",
    "/monitoring",
    "/monitoring/churn-online",
    "/audit?model=churn",
]


@pytest.mark.parametrize("template", PAGES)
def test_page_loads_clean_and_accessible(page: Watched, ids: dict[str, str], template: str) -> None:
    response = page.goto(template.format(**ids))
    assert response.status == 200
    assert page.page.locator("h1").count() == 1
    page.page.wait_for_function(
        "() => [...document.querySelectorAll('.metric-chart')].every(c => c.dataset.drawn)"
    )
    page.clean()
    assert axe_violations(page.page) == []


def _chart(page: Any, index: int = 0) -> Any:
    return page.locator(".metric-chart").nth(index)


def test_metric_charts_draw_and_redraw(page: Watched, ids: dict[str, str]) -> None:
    page.goto(f"/runs/{ids['main']}")
    curve = page.page.locator('.metric-chart[data-label="curve"]')
    curve.locator("canvas").wait_for()
    assert int(curve.get_attribute("data-drawn")) == 500  # every point, in buckets
    assert curve.locator(".u-axis").count() >= 2
    assert "step" in curve.inner_text()
    # the chart's canvas has ink on it
    drawn = curve.locator("canvas").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)"
    )
    assert drawn
    page.page.check("#log-scale")
    page.page.select_option("#x-axis", "time")
    page.page.wait_for_function(
        "() => document.querySelector('.metric-chart[data-label=curve]').innerText"
        ".includes('wall time')"
    )
    assert "log scale" in curve.inner_text()
    page.page.fill("#smoothing", "80")
    page.page.dispatch_event("#smoothing", "change")
    curve.locator("canvas").wait_for()
    page.clean()


def test_an_empty_series_says_so(page: Watched, ids: dict[str, str]) -> None:
    page.goto(f"/runs/{ids['main']}/metrics/never-logged")
    chart = page.page.locator(".metric-chart")
    chart.locator(".empty").wait_for()
    assert "No values were logged for never-logged" in chart.inner_text()


def test_the_spike_survives_downsampling(server: Any, ids: dict[str, str]) -> None:
    import httpx

    answer = httpx.get(
        f"{server.url}/api/runs/{ids['main']}/metrics/curve",
        params={"max_points": 10, "x_axis": "step"},
    )
    series = answer.json()
    assert series["points"] == 500 and len(series["x"]) == 10
    assert max(series["high"]) == pytest.approx(5.0 + 0.0)  # the single spike at step 250


def test_the_evaluation_report_is_embedded(page: Watched) -> None:
    page.goto("/models/churn/versions/1")
    frame = page.page.frame_locator("#report")
    assert frame.locator("h1").inner_text() == "Evaluation of churn"
    page.clean()


def test_deployment_traffic_and_monitoring_draw(page: Watched) -> None:
    page.goto("/deployments/churn-online")
    charts = page.page.locator(".metric-chart")
    charts.nth(1).locator("canvas").wait_for()
    assert int(charts.nth(0).get_attribute("data-drawn")) > 1
    legend = charts.nth(1).locator(".u-legend").inner_text()
    assert "v1 p50" in legend and "v2 p99" in legend
    assert page.page.locator("#recent-predictions tbody tr").count() == 20
    page.goto("/monitoring/churn-online")
    cells = page.page.locator("#drift-heatmap svg rect")
    assert cells.count() == 6  # two features x three windows
    assert "x at" in cells.first.locator("title").text_content()
    chart = page.page.locator(".metric-chart")
    chart.locator("canvas").wait_for()
    assert "accuracy" in chart.locator(".u-legend").inner_text()
    page.clean()


def test_deployment_error_rate_per_version_draws_or_says_why_not(
    page: Watched, server: Any
) -> None:
    import httpx

    errors = httpx.get(f"{server.url}/api/deployments/churn-online").json()["traffic"]["errors"]
    assert {rate for rate in errors["v1 error rate"] if rate is not None} == {0.0}
    assert max(rate or 0.0 for rate in errors["v2 error rate"]) == pytest.approx(20.0)  # 1 of 5
    page.goto("/deployments/churn-online")
    chart = page.page.locator("#error-rate")
    chart.locator("canvas").wait_for()
    assert int(chart.get_attribute("data-drawn")) > 1
    legend = chart.locator(".u-legend").inner_text()
    assert "v1 error rate" in legend and "v2 error rate" in legend
    assert "error rate (% of rows)" in chart.inner_text()  # the axis says the unit
    page.clean()
    page.goto("/deployments/churn-canary")  # nothing logged: a message, not a blank box
    empty = page.page.locator("#error-rate .empty")
    empty.wait_for()
    assert "no error rate to show" in empty.inner_text()
    page.clean()
    assert axe_violations(page.page) == []


def test_data_quality_is_a_table_with_the_failing_checks_marked(page: Watched) -> None:
    page.goto("/monitoring/churn-online")
    table = page.page.locator("table#data-quality")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Feature", "Missing share", "Out of range", "Unseen categories",
                       "Type and presence", "Result"]  # fmt: skip
    # one row per feature the newest window checked (and age, whose type changed), by name
    rows = table.locator("tbody tr")
    assert rows.locator("th[scope=row]").all_inner_texts() == ["age", "plan", "x"]

    def cell(feature: str, check: str) -> Any:
        return table.locator(f"tr[data-feature={feature}] td[data-check={check}]")

    assert "3" in cell("x", "out_of_range").inner_text()
    assert "fails" in cell("x", "out_of_range").inner_text()
    assert "fails (alert rule)" in cell("x", "missing").inner_text()  # 0.5%, breached a rule
    assert "8.00%" in cell("plan", "missing").inner_text()
    assert "platinum" in cell("plan", "unseen").inner_text()
    assert "was numeric, is categorical now" in cell("age", "schema").inner_text()
    assert "not checked" in cell("plan", "out_of_range").inner_text()
    assert "fails" not in cell("plan", "schema").inner_text()
    assert table.locator("td.check-fail").count() == 5
    assert "5 checks failing" in page.page.locator("#h-quality + p").inner_text()
    assert "debug_id" in page.page.locator("section[aria-labelledby=h-quality]").inner_text()
    page.clean()
    assert axe_violations(page.page) == []
    # the JSON twin carries the same table
    quality = page.page.request.get(page.base + "/api/monitoring/churn-online").json()["quality"]
    assert [row["feature"] for row in quality["rows"]] == ["age", "plan", "x"]
    assert quality["failing"] == 5 and quality["extra"] == ["debug_id"]
