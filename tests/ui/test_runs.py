"""The runs list (filter, sort, paging, columns), compare, and the JSON contract of /api/runs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ui.conftest import Watched, submit


def _names(page: Any) -> list[str]:
    return page.locator("#runs tbody tr td:nth-child(3)").all_inner_texts()


def test_filter_sort_and_columns(page: Watched) -> None:
    page.goto("/runs")
    page.page.fill("#filter", "params.C = '1'")
    page.page.fill("#order_by", "metrics.auc DESC")
    submit(page, "#run-filter button[type=submit]")
    names = _names(page.page)
    assert names == ["sweep-26", "sweep-21", "sweep-16", "sweep-11", "sweep-06", "sweep-01"]
    # a header sorts by its column: ascending once it is already descending
    submit(page, "#runs thead a:text-is('metrics.auc')")
    assert _names(page.page) == list(reversed(names))
    # choose the columns: only auc beside the run id
    page.page.click("summary:text('Columns')")
    checked = page.page.locator("input[name=col]:checked")
    while checked.count():
        checked.first.uncheck()
    page.page.check("input[name=col][value='metrics.auc']")
    submit(page, "#run-filter button[type=submit]")
    headers = page.page.locator("#runs thead th").all_inner_texts()
    assert headers[2:] == ["metrics.auc"]
    page.clean()


def test_paging_never_overlaps(page: Watched) -> None:
    page.goto("/runs?max_results=10&order_by=name%20ASC")
    seen: list[str] = []
    while True:
        links = page.page.locator("#runs tbody tr td:nth-child(2) a")
        rows = [link.get_attribute("href") for link in links.all()]
        assert rows and not set(rows) & set(seen)
        seen += rows
        following = page.page.locator("#next-page")
        if not following.count():
            break
        with page.page.expect_navigation():
            following.click()
    assert len(seen) == 32  # 30 sweeps, a child and the failed run
    page.clean()


def test_a_malformed_filter_says_where(page: Watched) -> None:
    response = page.goto("/runs?filter=params.C%20%3D%3D%20'1'")
    assert response.status == 400
    assert "position" in page.page.locator("#error-message").inner_text()
    assert "Traceback" not in page.page.content()


def test_compare_selected_runs(page: Watched) -> None:
    page.goto("/runs?order_by=name%20ASC&filter=name%20like%20'sweep-0%25'")
    boxes = page.page.locator("#runs tbody input[name=runs]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    submit(page, "#compare-form button[type=submit]")
    assert page.page.url.split("?")[0].endswith("/compare")
    params = page.page.locator("#compare-params tbody").inner_text()
    assert "C" in params and "depth" in params
    assert page.page.locator("#parallel svg polyline").count() == 2
    page.page.fill("#step", "0")
    submit(page, "#compare-options button[type=submit]")
    rows = page.page.locator("#compare-at-step tbody tr")
    assert rows.count() == 3  # auc, curve (sweep-00 only) and loss
    assert rows.nth(1).locator("td").all_inner_texts() == ["0", "—"]
    chart = page.page.locator('.metric-chart[data-label="auc"]')
    chart.locator("canvas").wait_for()
    assert chart.locator(".u-legend .u-series").count() == 3  # x and one per run
    page.clean()


def test_api_runs_contract(server: Any) -> None:
    query = {"filter": "params.depth = '4'", "order_by": "metrics.auc DESC", "max_results": 5}
    first = httpx.get(f"{server.url}/api/runs", params=query).json()
    assert len(first["runs"]) == 5 and first["next_page_token"]
    aucs = [run["metrics"]["auc"] for run in first["runs"]]
    assert aucs == sorted(aucs, reverse=True)
    second = httpx.get(
        f"{server.url}/api/runs", params={**query, "page_token": first["next_page_token"]}
    ).json()
    assert len(second["runs"]) == 5 and second["next_page_token"] is None
    assert not {r["id"] for r in first["runs"]} & {r["id"] for r in second["runs"]}
    document = httpx.get(f"{server.url}/api/openapi.json").json()
    assert {"/api/runs", "/api/runs/{run_id}/metrics/{key}", "/api/models/{name}"} <= set(
        document["paths"]
    )
    assert "post" in document["paths"]["/api/models/{name}/versions/{version}/promote"]
