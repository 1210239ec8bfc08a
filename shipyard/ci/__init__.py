"""``shipyard ci``: one call for a CI job — checks, tests, data validation, the pipeline,
gates against production, package checks, an integration test on an ephemeral server, and the
``tested`` mark — with a report for the pull request (Markdown, JUnit XML, JSON) and the
GitHub Actions / GitLab CI definitions that run it."""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.ci.report import to_junit as to_junit, to_markdown as to_markdown
    from shipyard.ci.result import (
        CIResult as CIResult,
        MetricRow as MetricRow,
        StageResult as StageResult,
    )
    from shipyard.ci.runner import ci as ci
    from shipyard.ci.workflows import workflow as workflow

_EXPORTS = {
    "CIResult": "shipyard.ci.result",
    "MetricRow": "shipyard.ci.result",
    "StageResult": "shipyard.ci.result",
    "ci": "shipyard.ci.runner",
    "to_junit": "shipyard.ci.report",
    "to_markdown": "shipyard.ci.report",
    "workflow": "shipyard.ci.workflows",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
