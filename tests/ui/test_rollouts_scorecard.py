"""The rollouts and scorecard pages: they load clean and accessible, a rollout's decisions show
their figures, pause / resume / abort change the rollout and write the audit log with the
actor, an attestation counts on the scorecard, --read-only hides every action, and an unknown
rollout is a 404 that names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import shipyard as sy
from tests.ui.conftest import Served, Watched, axe_violations, start_ui, submit


@pytest.mark.parametrize(
    "template", ["/", "/rollouts", "/rollouts/{rollout}", "/scorecard?model=churn&since=30d"]
)
def test_page_loads_clean_and_accessible(page: Watched, ids: dict[str, str], template: str) -> None:
    response = page.goto(template.format(**ids))
    assert response.status == 200
    assert page.page.locator("h1").count() == 1
    page.clean()
    assert axe_violations(page.page) == []


def test_a_rollout_shows_its_decisions_and_the_scorecard_its_parts(
    page: Watched, ids: dict[str, str]
) -> None:
    page.goto("/")
    assert "churn-canary" in page.page.locator("#active-rollouts").inner_text()
    page.goto("/rollouts")
    row = page.page.locator("#rollouts tbody tr").first.inner_text()
    assert "churn-canary" in row and "running" in row and "1 of 3: 5%" in row
    page.goto(f"/rollouts/{ids['rollout']}")
    check = page.page.locator("table.decision tbody tr").first.inner_text()
    assert "error_rate" in check and "(412)" in check and "(7,803)" in check
    assert "mSPRT" in check
    page.goto("/scorecard?model=churn")
    assert "ML Test Score" in page.page.locator("#score").inner_text()
    assert page.page.locator("#grid tbody tr").count() > 0
    assert page.page.locator("table.items tbody tr").count() == 28
    assert page.page.locator("#delivery tbody tr").count() == 4
    data = httpx.get(page.base + "/api/scorecard?model=churn").json()
    assert data["scorecard"]["model"] == "churn" and len(data["sections"]) == 4
    report = httpx.get(page.base + "/scorecard/report?model=churn")
    assert report.status_code == 200 and "Maturity grid" in report.text


@pytest.fixture(scope="module")
def read_only(ui_home: tuple[Path, dict[str, str]]) -> Iterator[Served]:
    served = start_ui(ui_home[0], "--read-only")
    yield served
    served.stop()


def test_read_only_hides_the_actions(read_only: Served, ids: dict[str, str]) -> None:
    shown = httpx.get(f"{read_only.url}/rollouts/{ids['rollout']}").text
    assert "running" in shown and "abort-form" not in shown and "pause-form" not in shown
    assert "attest-form" not in httpx.get(f"{read_only.url}/scorecard").text
    refused = httpx.post(f"{read_only.url}/rollouts/{ids['rollout']}/abort")
    assert refused.status_code == 405


def _workspace(server: Served) -> sy.Workspace:
    return sy.open_workspace(sy.load_settings(home=server.home))


def _last(server: Served, action: str) -> sy.AuditRecord:
    with _workspace(server) as ws:
        return sy.get_audit(target="churn-canary", action=action, limit=1, workspace=ws)[0]


def test_pause_resume_then_abort_a_rollout(
    page: Watched, server: Served, ids: dict[str, str]
) -> None:
    page.goto("/login?next=/")
    page.page.fill("#name", "Ada")
    submit(page, "form[action='/login'] button[type=submit]")
    page.goto(f"/rollouts/{ids['rollout']}")
    page.page.fill("#pause-reason", "checking a dashboard")
    submit(page, "#pause-form button")
    assert page.page.locator("#rollout-status").inner_text() == "paused"
    paused = _last(server, "rollout.pause")
    assert (paused.actor, paused.reason) == ("Ada (ui)", "checking a dashboard")
    submit(page, "#resume-form button")
    assert "is running" in page.page.locator(".notice").inner_text()
    assert _last(server, "rollout.resume").actor == "Ada (ui)"
    page.page.fill("#abort-reason", "seen enough")
    submit(page, "#abort-form button")
    assert page.page.locator("#rollout-status").inner_text() == "aborted"
    assert page.page.locator("#abort-form").count() == 0
    aborted = _last(server, "rollout.abort")
    assert (aborted.actor, aborted.reason) == ("Ada (ui)", "seen enough")
    with _workspace(server) as ws:
        assert sy.get_rollout(ids["rollout"], workspace=ws).status == "aborted"
        assert sy.get_deployment("churn-canary", workspace=ws).routes == [
            {"version": 1, "weight": 100}
        ]
    page.clean()


def test_an_attestation_counts_on_the_scorecard(page: Watched, server: Served) -> None:
    page.goto("/scorecard?model=churn")
    page.page.select_option("#attest-item", "DATA-5")
    page.page.fill("#attest-note", "reviewed the feature costs by hand")
    submit(page, "#attest-form button")
    assert "Attested DATA-5" in page.page.locator(".notice").inner_text()
    assert "attested" in page.page.locator("#item-DATA-5").inner_text()
    page.clean()


def test_an_unknown_rollout_is_a_404_naming_it(server: Served) -> None:
    for path in ("/rollouts/ghost-rollout", "/api/rollouts/ghost-rollout"):
        answer = httpx.get(server.url + path)
        assert answer.status_code == 404
        assert "ghost-rollout" in answer.text and "Traceback" not in answer.text
