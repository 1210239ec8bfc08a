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
