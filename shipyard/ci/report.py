"""The CI result as a pull-request comment (Markdown: the stages, a metric table in the shape
of ``dvc metrics diff``, the data-validation summary, the evaluation report's paths) and as
JUnit XML (one test case per stage and per gate) for the test reporters of GitLab, Jenkins
and GitHub."""

from __future__ import annotations

import os
from pathlib import Path
from xml.etree import ElementTree as ET

from shipyard.ci.result import CIResult

ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


def to_markdown(result: CIResult) -> str:
    """A Markdown report fit for a pull-request comment."""
    verdict = "passed" if result.passed else "failed"
    lines = [
        f"## Shipyard CI {ICONS[verdict]} {verdict}",
        "",
        f"Candidate **{result.candidate or '-'}** · commit `{(result.commit or '-')[:12]}` · "
        f"CI run `{result.run_id or '-'}`",
        "",
        "| stage | status | time | details |",
        "|---|---|---:|---|",
    ]
    for stage in result.stages:
        lines.append(
            f"| {stage.name} | {ICONS[stage.status]} {stage.status} | {stage.seconds:.2f} s | "
            f"{_cell(stage.message)} |"
        )
    if result.metrics:
        behind = f"{result.against} ({result.baseline})" if result.baseline else result.against
        header = f"| metric | {behind} | candidate | change | gates |"
        lines += ["", f"### Metrics against {behind}", "", header, "|---|---:|---:|---:|---|"]
        for row in result.metrics:
            change = "-" if row.change is None else f"{row.change:+.4f}"
            lines.append(f"| {row.metric} | {_num(row.baseline)} | {_num(row.candidate)} | "
                         f"{change} | {_cell(row.verdict) or '-'} |")  # fmt: skip
    if result.gates:
        lines += ["", "### Gates", "", "| gate | verdict | message |", "|---|---|---|"]
        for gate in result.gates:
            mark = "✅ pass" if gate["passed"] else "❌ FAIL"
            lines.append(f"| {gate['name']} | {mark} | {_cell(str(gate['message']))} |")
    if result.validation:
        lines += ["", "### Data validation", ""]
        for role, ref in result.validation.get("datasets", {}).items():
            found = result.validation.get("results", {}).get(role)
            said = f"{'passed' if found['passed'] else 'FAILED'}: {found['headline']}" if found \
                else "no expectations declared"  # fmt: skip
            lines.append(f"- {role} `{ref}`: {said}")
    if result.reports:
        lines += ["", "### Evaluation report", ""]
        lines += [f"- {fmt}: `{path}`" for fmt, path in sorted(result.reports.items())]
    return "\n".join(lines) + "\n"


def write_markdown(result: CIResult, path: Path | None) -> str:
    """Write the Markdown report to ``path`` and, when ``GITHUB_STEP_SUMMARY`` is set, append it
    to the job summary there too. Returns the text."""
    text = to_markdown(result)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text)
    return text


def to_junit(result: CIResult) -> str:
    """JUnit XML: a suite of the stages and a suite of the gates."""
    root = ET.Element("testsuites", name="shipyard ci")
    stages = ET.SubElement(root, "testsuite", name="shipyard ci stages")
    for stage in result.stages:
        case = ET.SubElement(stages, "testcase", name=stage.name, classname="shipyard.ci.stage",
                             time=f"{stage.seconds:.3f}")  # fmt: skip
        if stage.status == "failed":
            ET.SubElement(case, "failure", message=stage.message).text = stage.hint or ""
        elif stage.status == "skipped":
            ET.SubElement(case, "skipped", message=stage.message)
    gates = ET.SubElement(root, "testsuite", name="shipyard ci gates")
    for gate in result.gates:
        case = ET.SubElement(gates, "testcase", name=str(gate["name"]),
                             classname="shipyard.ci.gate", time="0")  # fmt: skip
        if not gate["passed"]:
            ET.SubElement(case, "failure", message=str(gate["message"]))
    for suite in (stages, gates):
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
