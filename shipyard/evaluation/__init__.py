"""Evaluation: metrics, gates, baseline comparison, slice and fairness analysis, behavioural
tests, and evaluation reports.

    from shipyard.evaluation import EvaluationSpec, Baseline, check_spec, evaluate, write_report

    spec = EvaluationSpec.model_validate(config["evaluation"])
    check_spec(spec, {"age": "integer", "region": "string", "default": "integer"})
    result = evaluate(model, holdout, spec, baselines={"production": Baseline(prod, "3")})
    write_report(result, "reports/")       # report.md and report.html
    result.passed, result.failed_gates

Importing this package is cheap: scikit-learn's metrics, fairlearn, matplotlib and jinja2 are
imported only when a metric, a fairness gate or a report needs them.
"""

import typing as _typing

from shipyard.core.lazy import attach as _attach

if _typing.TYPE_CHECKING:
    from shipyard.evaluation.catalog import (
        DEFAULT_METRICS as DEFAULT_METRICS,
        METRICS as METRICS,
        MetricInfo as MetricInfo,
        metric_names as metric_names,
    )
    from shipyard.evaluation.evaluate import (
        evaluate as evaluate,
    )
    from shipyard.evaluation.report import (
        render_html as render_html,
        render_markdown as render_markdown,
        write_report as write_report,
    )
    from shipyard.evaluation.result import (
        Baseline as Baseline,
        EvaluationResult as EvaluationResult,
        GateOutcome as GateOutcome,
    )
    from shipyard.evaluation.spec import (
        Case as Case,
        DirectionalGate as DirectionalGate,
        EvaluationSpec as EvaluationSpec,
        FairnessGate as FairnessGate,
        Gate as Gate,
        InvarianceGate as InvarianceGate,
        MinimumFunctionalityGate as MinimumFunctionalityGate,
        NoRegressionGate as NoRegressionGate,
        SliceGate as SliceGate,
        ThresholdGate as ThresholdGate,
        check_spec as check_spec,
    )

_EXPORTS = {
    "Baseline": "shipyard.evaluation.result",
    "Case": "shipyard.evaluation.spec",
    "DEFAULT_METRICS": "shipyard.evaluation.catalog",
    "DirectionalGate": "shipyard.evaluation.spec",
    "EvaluationResult": "shipyard.evaluation.result",
    "EvaluationSpec": "shipyard.evaluation.spec",
    "FairnessGate": "shipyard.evaluation.spec",
    "Gate": "shipyard.evaluation.spec",
    "GateOutcome": "shipyard.evaluation.result",
    "InvarianceGate": "shipyard.evaluation.spec",
    "METRICS": "shipyard.evaluation.catalog",
    "MetricInfo": "shipyard.evaluation.catalog",
    "MinimumFunctionalityGate": "shipyard.evaluation.spec",
    "NoRegressionGate": "shipyard.evaluation.spec",
    "SliceGate": "shipyard.evaluation.spec",
    "ThresholdGate": "shipyard.evaluation.spec",
    "check_spec": "shipyard.evaluation.spec",
    "evaluate": "shipyard.evaluation.evaluate",
    "metric_names": "shipyard.evaluation.catalog",
    "render_html": "shipyard.evaluation.report",
    "render_markdown": "shipyard.evaluation.report",
    "write_report": "shipyard.evaluation.report",
}
"""Each public name and the module that defines it, imported on first use."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _attach(__name__, _EXPORTS)
