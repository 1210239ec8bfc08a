"""Actions in the browser: approve then promote moves the alias and writes the audit log with
the actor, a refused promote shows the policy's reasons, rollback, alerts; the token, CSRF and
--read-only are enforced; the keyboard reaches every action; errors are pages, not tracebacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import shipyard as sy
from tests.ui.conftest import TOKEN, Served, Watched, start_ui, submit


def _workspace(server: Served) -> sy.Workspace:
    return sy.open_workspace(sy.load_settings(home=server.home))


def _sign_in(page: Watched, name: str) -> None:
    page.goto("/login?next=/")
    page.page.fill("#name", name)
    submit(page, "form[action='/login'] button[type=submit]")


def test_approve_then_promote_then_roll_back(page: Watched, server: Served) -> None:
    _sign_in(page, "Ada")
    page.goto("/models/churn/versions/2")
    page.page.fill("#approve-comment", "looks good")
    submit(page, "#approve-form button[type=submit]")
    assert "Approved churn/2 for 'production'" in page.page.locator(".notice").inner_text()
    page.page.fill("#promote-reason", "better auc")
    submit(page, "#promote-form button[type=submit]")
    assert page.page.url.endswith(
        "/models/churn?done=churn%40production%20now%20points%20at%20version%202%20%28was%201%29."
    )
    with _workspace(server) as ws:
        assert sy.get_model("churn", workspace=ws).aliases["production"] == 2
        moved = sy.get_audit(model="churn", action="alias.set", limit=1, workspace=ws)[0]
        assert (moved.actor, moved.reason, moved.after) == (
            "Ada (ui)",
            "better auc",
            {"version": 2},
        )
    page.page.fill("#rb-reason-production", "alarm")
    submit(page, "form[action='/models/churn/aliases/production/rollback'] button")
    with _workspace(server) as ws:
        assert sy.get_model("churn", workspace=ws).aliases["production"] == 1
        back = sy.get_audit(model="churn", action="alias.rollback", limit=1, workspace=ws)[0]
        assert back.actor == "Ada (ui)"
    page.goto("/audit?action=alias.rollback")
    assert "Ada (ui)" in page.page.locator("#audit").inner_text()
    page.clean()


def test_a_refused_promote_shows_the_reasons(page: Watched, server: Served) -> None:
    page.goto("/models/churn/versions/3")
    submit(page, "#promote-form button[type=submit]")
    reasons = page.page.locator("#reasons li").all_inner_texts()
    assert "gate 'auc' failed: auc 0.62 is short of 0.8 by 0.18" in reasons
    assert "churn/3 has no approval for 'production'" in reasons
    with _workspace(server) as ws:
        assert sy.get_model("churn", workspace=ws).aliases["production"] != 3


def test_acknowledge_then_resolve_an_alert(page: Watched, server: Served) -> None:
    page.goto("/monitoring/churn-online")
    submit(page, "#alerts button:text('Acknowledge')")
    assert "acknowledged" in page.page.locator(".notice").inner_text()
    submit(page, "#alerts button:text('Resolve')")
    with _workspace(server) as ws:
        found = sy.list_alerts(deployment="churn-online", workspace=ws)
        alert = next(a for a in found if a.rule == "drift")
        assert alert.state == "resolved" and alert.resolved_by is not None
        assert alert.resolved_by.endswith("(ui)")
    page.clean()


def test_a_post_without_the_csrf_token_is_refused(page: Watched, server: Served) -> None:
    page.goto("/models/churn/versions/2")  # the browser holds a session cookie now
    answer = page.page.request.post(
        f"{server.url}/models/churn/versions/2/approve", form={"alias": "staging"}
    )
    assert answer.status == 403
    forged = page.page.request.post(
        f"{server.url}/models/churn/versions/2/approve",
        form={"alias": "staging", "csrf_token": "0" * 64},
    )
    assert forged.status == 403
    with _workspace(server) as ws:
        assert not [
            e
            for e in sy.get_audit(model="churn", action="version.approve", workspace=ws)
            if e.after == {"alias": "staging"}
        ]


def test_the_keyboard_reaches_every_action(page: Watched) -> None:
    page.goto("/models/churn/versions/2")
    wanted = {
        "#approve-alias",
        "#approve-comment",
        "#approve-form button",
        "#promote-alias",
        "#promote-reason",
        "#promote-form button",
    }
    handles = {sel: page.page.locator(sel).element_handle() for sel in wanted}
    reached: set[str] = set()
    for _ in range(80):
        page.page.keyboard.press("Tab")
        for selector, handle in handles.items():
            if page.page.evaluate("e => document.activeElement === e", handle):
                reached.add(selector)
        if reached == wanted:
            break
    assert reached == wanted
    # Enter on the focused promote button submits the form
    with page.page.expect_navigation():
        page.page.keyboard.press("Enter")
    assert "/models/churn" in page.page.url


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("/runs/no-such-run", 404, "no-such-run"),
        ("/models/ghost", 404, "ghost"),
        ("/models/churn/versions/99", 404, "99"),
        ("/datasets/ghost", 404, "ghost"),
        ("/deployments/ghost", 404, "ghost"),
        ("/api/runs/no-such-run", 404, "no-such-run"),
        ("/runs?filter=metrics.auc%20%3E", 400, "position"),
        ("/nowhere", 404, "/nowhere"),
    ],
)
def test_errors_name_what_is_wrong(server: Served, path: str, status: int, named: str) -> None:
    answer = httpx.get(server.url + path)
    assert answer.status_code == status
    assert named in answer.text and "Traceback" not in answer.text


@pytest.fixture(scope="module")
def guarded(ui_home: tuple[Path, dict[str, str]], tmp_path_factory: Any) -> Any:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens.write_text(f"# UI tokens\n{TOKEN}\n")
    served = start_ui(ui_home[0], "--token-file", str(tokens), "--read-only")
    yield served
    served.stop()


def test_the_token_guards_every_page_and_api(browser: Any, guarded: Served) -> None:
    assert httpx.get(f"{guarded.url}/api/runs").status_code == 401
    assert httpx.get(f"{guarded.url}/api/openapi.json").status_code == 401
    bearer = httpx.get(f"{guarded.url}/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200 and bearer.json()["runs"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{guarded.url}/runs")
    assert "/login?next=/runs" in page.url
    page.fill("#token", "wrong-token-value")
    with page.expect_navigation():
        page.click("form[action='/login'] button")
    assert "not valid" in page.locator(".error-box").inner_text()
    page.fill("#token", TOKEN)
    with page.expect_navigation():
        page.click("form[action='/login'] button")
    assert page.url.endswith("/runs") and page.locator("#runs tbody tr").count() > 0
    # read-only: no action forms, and the action URLs take no POST
    page.goto(f"{guarded.url}/models/churn/versions/2")
    assert page.locator("#promote-form").count() == 0
    assert page.locator("form[action*='rollback']").count() == 0
    answer = page.request.post(
        f"{guarded.url}/models/churn/versions/2/promote", form={"alias": "production"}
    )
    assert answer.status == 405
    context.close()


def test_an_unreachable_store_is_a_503_with_the_hint(tmp_path: Path) -> None:
    served = start_ui(tmp_path, store=f"sqlite:///{tmp_path}/missing/shipyard.db")
    try:
        answer = httpx.get(f"{served.url}/runs")
        assert answer.status_code == 503
        assert "What to do" in answer.text and "Traceback" not in answer.text
        assert httpx.get(f"{served.url}/api/runs").json()["hint"]
    finally:
        served.stop()
