"""An empty project scores 0 everywhere, each item saying what to do first; an attestation
is an audit event worth half a point until it expires; bad input is a clear error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import shipyard as sy
from shipyard._store.workspace import Workspace
from shipyard.cli.app import app
from shipyard.scorecard.attest import attestations
from shipyard.scorecard.record import ITEMS


def test_an_empty_project_scores_0_everywhere_with_the_first_step_for_each_item(
    sqlite_workspace: Workspace,
) -> None:
    card = sy.scorecard(workspace=sqlite_workspace)
    assert [i.id for i in card.items] == list(ITEMS) and len(ITEMS) == 28
    assert all(i.points == 0 and i.evidence == () for i in card.items)
    assert card.sections == {"DATA": 0, "MODEL": 0, "INFRA": 0, "MON": 0} and card.score == 0
    assert card.reading == "More of a research project than a productionized system."
    hints = {i.id: i.next_action for i in card.items}
    assert hints["DATA-1"] == "declare the columns' expectations under `datasets:` in shipyard.yaml"
    assert (
        hints["DATA-5"] == 'attest it: `shipyard scorecard attest DATA-5 --note "..." --link URL`'
    )
    assert hints["MODEL-6"] == ("add a `{kind: slice, column: region, metric: recall, min: 0.6}` "
                                "gate under `evaluation.gates` in shipyard.yaml")  # fmt: skip
    assert hints["INFRA-1"] == "reproduce a training run: `shipyard reproduce RUN_ID`"
    assert hints["MON-1"] == ("add a rule `{name: deps, metric: dependency_mismatch, above: 0}` "
                              "under `monitoring.rules` in shipyard.yaml")  # fmt: skip
    assert {c.level for c in card.grid} == {1} and len(card.grid) == 18
    assert card.mlops.level == 0
    assert [(d.name, d.value) for d in card.delivery] == [
        ("deployment_frequency", 0.0), ("lead_time", None), ("change_failure_rate", None),
        ("time_to_restore", None)]  # fmt: skip
    assert "ML Test Score 0 (minimum of data 0, model 0" in card.summary()


def test_an_attestation_counts_half_a_point_is_audited_and_expires(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    made = sy.attest(
        "data-5",
        "DPIA reviewed by the privacy office",
        link="https://wiki.example.com/dpia",
        valid_for="30d",
        workspace=ws,
    )
    assert made.item == "DATA-5"
    (event,) = sy.get_audit(action="scorecard.attest", workspace=ws)
    assert (event.id, event.target, event.actor) == (made.id, "DATA-5", "tester@test")
    assert sy.verify_audit(workspace=ws).ok

    card = sy.scorecard(workspace=ws)
    item = card.item("DATA-5")
    assert (item.points, item.attested, item.evidence) == (0.5, True, (f"audit:{made.id}",))
    assert "DPIA reviewed by the privacy office" in item.why
    assert item.next_action == (
        f"renew the attestation before it expires ({made.expires_at:%Y-%m-%d})"
    )
    assert card.sections["DATA"] == 0.5 and card.score == 0  # the minimum of the sections

    later = made.expires_at + timedelta(seconds=1)
    assert attestations(workspace=ws, at=later) == []
    assert sy.scorecard(workspace=ws, at=later).item("DATA-5").points == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ws: sy.attest("DATA-9", "x", workspace=ws), "'DATA-9' is not a scorecard item."),
        (lambda ws: sy.attest("DATA-5", " ", workspace=ws), "An attestation needs a note"),
        (lambda ws: sy.attest("DATA-5", "x", link="ftp://x", workspace=ws), "not an http(s)"),
        (lambda ws: sy.attest("DATA-5", "x", valid_for="soon", workspace=ws), "not a duration"),
        (lambda ws: sy.scorecard(since="3x", workspace=ws), "not a duration"),
        (lambda ws: sy.scorecard("nope", workspace=ws), "not registered"),
    ],
)
def test_bad_input_is_a_shipyard_error_with_a_hint(
    sqlite_workspace: Workspace, call: object, message: str
) -> None:
    with pytest.raises(sy.ShipyardError) as raised:
        call(sqlite_workspace)  # type: ignore[operator]
    assert message in raised.value.message


def test_shipyard_ci_prints_the_scorecard_summary_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "h"), "ci"],
                                env={"COLUMNS": "250"})  # fmt: skip
    assert result.exit_code == 1  # no shipyard.yaml: the configuration stage fails
    assert "scorecard: ML Test Score 0 (minimum of data 0, model 0, infrastructure 0, " in (
        result.output
    )


def test_attestations_are_chained_audit_events_on_sqlite_and_postgresql(
    workspace: Workspace,
) -> None:
    first = sy.attest("DATA-3", "feature costs reviewed", workspace=workspace)
    second = sy.attest("DATA-4", "naming rules checked", model="churn", valid_for="2w",
                       workspace=workspace)  # fmt: skip
    events = sy.get_audit(action="scorecard.attest", newest_first=False, workspace=workspace)
    assert [(e.id, e.target, e.after["model"]) for e in events] == [  # type: ignore[index]
        (first.id, "DATA-3", None), (second.id, "DATA-4", "churn")]  # fmt: skip
    assert second.expires_at - second.time == timedelta(weeks=2)
    assert sy.verify_audit(workspace=workspace).ok
    assert [a.item for a in attestations(workspace=workspace, model="other")] == ["DATA-3"]
