"""The scorecard of a project with real records (tests/scorecard/conftest.py) is what those
records justify, item by item; dropping a rule or a gate from shipyard.yaml drops exactly the
items that depend on it; the CLI prints the same card as JSON, Markdown and an HTML heatmap."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import shipyard as sy
from shipyard.cli.app import app
from tests.scorecard.conftest import DEPLOYMENT, Project, project_config

# What the fixture's records justify, worked out by hand from docs/scorecard.md:
EXPECTED = {
    "DATA-1": 0.5,  # one validation: the second run took the unchanged data's from cache
    "DATA-2": 1.0,  # both evaluations stored feature importance (on unless switched off)
    "DATA-3": 0.0, "DATA-4": 0.0, "DATA-5": 0.0,  # organisational, not attested
    "DATA-6": 0.5,  # two pipeline runs, none started by CI
    "DATA-7": 0.0,  # no CI run
    "MODEL-1": 0.5,  # one approval, no policy requires one
    "MODEL-2": 0.5,  # one version has offline and live (feedback) metrics
    "MODEL-3": 0.0, "MODEL-4": 0.0, "MODEL-5": 0.0,
    "MODEL-6": 1.0,  # the declared slice gate ran on both candidates
    "MODEL-7": 1.0,  # the declared fairness gate too
    "INFRA-1": 0.0, "INFRA-2": 0.0, "INFRA-3": 0.0,
    "INFRA-4": 1.0,  # both production moves were of gated versions, the policy requires gates
    "INFRA-5": 0.0,  # git capture is off: no version records its commit
    "INFRA-6": 0.0,
    "INFRA-7": 0.5,  # one manual rollback
    "MON-1": 0.0,
    "MON-2": 1.0, "MON-3": 1.0,  # null and drift rules over two monitor windows
    "MON-4": 0.0, "MON-5": 0.0, "MON-6": 0.0,
    "MON-7": 1.0,  # the AUC rule over two windows
}  # fmt: skip


def _card(project: Project, config: Path | None = None) -> sy.Scorecard:
    return sy.scorecard(config=config or project.config, workspace=project.workspace)


def test_the_project_scores_what_its_records_justify(project: Project) -> None:
    card = _card(project)
    assert [i.id for i in card.items][:8] == [f"DATA-{n}" for n in range(1, 8)] + ["MODEL-1"]
    assert {i.id: i.points for i in card.items} == EXPECTED
    assert card.sections == {"DATA": 2.0, "MODEL": 3.0, "INFRA": 1.5, "MON": 3.0}
    assert card.score == 1.5
    assert card.reading.startswith("There's been first pass")
    assert card.model == "credit"

    ws = project.workspace
    rollback = sy.alias_history("credit", "production", workspace=ws)[-1]
    assert rollback.action == "alias.rollback"
    assert card.item("INFRA-7").evidence == (f"audit:{rollback.id}",)
    windows = ws.monitoring.results(DEPLOYMENT)
    assert card.item("MON-2").evidence == ("rule:nulls", *(f"monitor:{r.id}" for r in windows))
    slice_evidence = {f"evaluation:{sy.latest_evaluation('credit', v, workspace=ws).id}"
                      for v in (1, 2)}  # fmt: skip
    assert set(card.item("MODEL-6").evidence) == slice_evidence
    for item in card.items:  # every item says why, and below 1 what earns the next half point
        assert item.why
        assert (item.next_action is None) == (item.points == 1.0)
    assert "`{kind: baseline" in (card.item("MODEL-5").next_action or "")

    grid = {(c.principle, c.aspect): c.level for c in card.grid}
    assert grid[("versioning", "data")] == 3  # every training run read hashed dataset versions
    assert grid[("versioning", "code")] == 1  # git capture is off
    assert grid[("testing", "data")] == 2  # validated once
    assert card.mlops.level == 0 and "retrain" in (card.mlops.missing or "")

    delivery = {d.name: d for d in card.delivery}
    assert delivery["change_failure_rate"].value == 0.5  # 1 of 2 production moves rolled back
    assert delivery["change_failure_rate"].events == (card.item("INFRA-4").evidence[-1],)


def test_removing_a_rule_or_a_gate_drops_exactly_the_items_that_depend_on_it(
    project: Project,
) -> None:
    before = {i.id: i.points for i in _card(project).items}
    fewer = project.directory / "fewer.yaml"
    fewer.write_text(project_config(slice_gate=False, null_rule=False))
    after = {i.id: i.points for i in _card(project, fewer).items}
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # the slice gate ran before (half a point), but no longer runs on every candidate;
    # no rule watches the data's invariants any more
    assert changed == {"MODEL-6": (1.0, 0.5), "MON-2": (1.0, 0.0)}


def test_the_cli_prints_the_same_card_as_json_markdown_and_html(
    project: Project, tmp_path: Path
) -> None:
    settings = project.workspace.settings
    base = ["--store", settings.resolved_store_url, "--artifacts", settings.resolved_artifacts_url]
    runner = CliRunner()
    shown = runner.invoke(app, [*base, "scorecard", "credit", "-c", str(project.config), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["score"] == 1.5 and data["sections"]["MON"] == 3.0
    assert {i["id"]: i["points"] for i in data["items"]} == EXPECTED

    markdown = runner.invoke(app, [*base, "scorecard", "-c", str(project.config), "--markdown"])
    assert markdown.exit_code == 0, markdown.output
    assert (
        "| MODEL-6 | Model quality is sufficient on important data slices | 1 |" in markdown.output
    )
    assert "### Maturity grid" in markdown.output and "### MLOps level 0" in markdown.output

    html = runner.invoke(app, [*base, "scorecard", "-c", str(project.config), "--html", "-o",
                               str(tmp_path / "card")])  # fmt: skip
    assert html.exit_code == 0, html.output
    page = (tmp_path / "card" / "report.html").read_text()
    assert page.count('class="cell" style="background: ') >= 18 + 28  # grid and items

    table = runner.invoke(app, [*base, "scorecard", "-c", str(project.config)],
                          env={"COLUMNS": "200"})  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "ML Test Score 1.5 (minimum of data 2, model 3, infrastructure 1.5, monitoring 3)" in (
        table.output
    )
