"""The endpoints: predictions (Shipyard/MLflow shapes and Open Inference Protocol v2),
feedback labels, health, metrics and the OpenAPI document."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from shipyard.core.errors import ConflictError, FieldProblem, InputValidationError, NotFoundError
from shipyard.core.refs import parse_version
from shipyard.serving.online import binary, explain_route
from shipyard.serving.online.batcher import Job
from shipyard.serving.online.http import (
    Handler,
    MethodNotAllowedError,
    NotReadyError,
    Request,
    Response,
)
from shipyard.serving.online.openapi import openapi_document
from shipyard.serving.online.payloads import (
    V2_DATATYPE,
    Records,
    predict_records,
    v2_output,
    v2_records,
)
from shipyard.serving.online.router import RouteTable
from shipyard.serving.online.variant import Variant, check_log
from shipyard.serving.prediction_log import Feedback

if TYPE_CHECKING:
    from shipyard.serving.online.app import ServingApp

_LABELS = frozenset({"/predict", "/explain", "/invocations", "/feedback", "/metrics",
                     "/health/live", "/health/ready", "/openapi.json", "/v2", "/v2/health/live",
                     "/v2/health/ready"})  # fmt: skip
_PROMETHEUS = b"text/plain; version=0.0.4; charset=utf-8"


def routes(app: ServingApp) -> dict[tuple[str, str], Handler]:
    bind: Callable[[Callable[..., Any]], Handler] = lambda fn: partial(fn, app)  # noqa: E731
    return {
        ("POST", "/predict"): bind(predict),
        ("POST", "/invocations"): bind(predict),
        ("POST", "/explain"): bind(explain_route.explain),
        ("POST", "/feedback"): bind(feedback),
        ("GET", "/metrics"): bind(metrics),
        ("GET", "/health/live"): bind(live),
        ("GET", "/health/ready"): bind(ready),
        ("GET", "/v2/health/live"): bind(live),
        ("GET", "/v2/health/ready"): bind(ready),
        ("GET", "/openapi.json"): bind(openapi),
        ("GET", "/v2"): bind(server_metadata),
    }


def label(path: str) -> str:
    """The endpoint label for metrics (bounded: v2 model paths collapse)."""
    if path in _LABELS:
        return path
    if path.startswith("/v2/models/"):
        return "/v2/models/infer" if path.endswith("/infer") else "/v2/models"
    return "other"


async def not_found(request: Request) -> Response:
    raise NotFoundError(f"There is no endpoint {request.path}.",
                        hint="GET /openapi.json lists the endpoints.")  # fmt: skip


# -- predictions -------------------------------------------------------------------------------


async def predict(app: ServingApp, request: Request) -> Response:
    app.gate.enter(request.client, request.started)
    try:
        body = await request.json(app.options.max_body_bytes)
        table = app.table
        records = predict_records(body, table.primary.signature.names)
    finally:
        app.gate.leave()
    request_id = request.request_id()
    variant = table.pick(request.headers.get(app.options.sticky_header.encode()))
    predictions = await _predict(app, request, variant, records, request_id)
    body_out = {"predictions": predictions, "model": variant.name, "version": variant.version,
                "request_id": request_id}  # fmt: skip
    return _answer(body_out, variant, request_id)


async def _predict(
    app: ServingApp, request: Request, variant: Variant, records: Records, request_id: str
) -> list[Any]:
    if not records:
        return []
    if app.prediction_log is not None and app.options.log_failure == "refuse":
        check_log(app.prediction_log)  # at once: nothing waits for a failing log
    job = Job(records, request_id, request.started)
    await variant.batcher.predict(job)
    if job.error is not None:
        raise job.error
    for shadow in app.table.shadows:
        copy = Job(records, request_id, request.started)
        if not shadow.batcher.submit_nowait(copy, limit=app.options.max_shadow_queue):
            app.metrics.event("shadow_skipped", version=shadow.label)
    assert job.result is not None
    return job.result


def _answer(body: dict[str, Any], variant: Variant, request_id: str) -> Response:
    headers = [(b"x-request-id", request_id.encode()), (b"x-shipyard-version", variant.header)]
    return Response.json(body, headers=headers, version=variant.label)


# -- Open Inference Protocol v2 ----------------------------------------------------------------


def match_v2(app: ServingApp, path: str, method: str, request: Request) -> Handler | None:
    """The handler of a ``/v2/models/NAME[/versions/N][/ready|/infer]`` path, or None."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "v2" or parts[2] != "models" or not parts[3]:
        return None
    request.params["model"] = parts[3]
    rest = parts[4:]
    if len(rest) >= 2 and rest[0] == "versions":
        request.params["version"] = rest[1]
        rest = rest[2:]
    action = rest[0] if rest else ""
    if len(rest) > 1 or action not in ("", "ready", "infer"):
        return None
    wanted = "POST" if action == "infer" else "GET"
    if method != wanted:
        raise MethodNotAllowedError(method, path, [wanted])
    handler = {"": model_metadata, "ready": model_ready, "infer": infer}[action]
    return partial(handler, app)


def _variant(table: RouteTable, request: Request, sticky: bytes | None) -> Variant:
    name = request.params["model"]
    if name != table.plan.model:
        raise NotFoundError(f"This server serves model {table.plan.model!r}, not {name!r}.")
    version = request.params.get("version")
    if version is None:
        return table.pick(sticky)
    found = table.by_version.get(parse_version(version, ref=f"{name}/{version}"))
    if found is None:
        served = ", ".join(str(v) for v in table.by_version)
        raise NotFoundError(f"Version {version} of {name!r} is not served here (serving {served}).")
    return found


async def infer(app: ServingApp, request: Request) -> Response:
    app.gate.enter(request.client, request.started)
    try:
        raw = await request.body(app.options.max_body_bytes)
        body = binary.parse_request(raw, request.headers.get(binary.HEADER))
        table = app.table
        variant = _variant(table, request, request.headers.get(app.options.sticky_header.encode()))
        records, given_id = v2_records(body, variant.signature.inputs)
    finally:
        app.gate.leave()
    request_id = request.request_id(given_id)
    predictions = await _predict(app, request, variant, records, request_id)
    out = {"model_name": variant.name, "model_version": str(variant.version), "id": request_id,
           "outputs": [v2_output(predictions)]}  # fmt: skip
    packed = binary.encode_response(out) if binary.wants_binary(body) else None
    if packed is None:
        return _answer(out, variant, request_id)
    data, header_length = packed
    headers = [(b"x-request-id", request_id.encode()), (b"x-shipyard-version", variant.header),
               (binary.HEADER, str(header_length).encode())]  # fmt: skip
    return Response(200, data, content_type=b"application/octet-stream", headers=headers,
                    version=variant.label)  # fmt: skip


async def model_metadata(app: ServingApp, request: Request) -> Response:
    variant = _variant(app.table, request, None)
    inputs = [{"name": s.name, "datatype": V2_DATATYPE[s.dtype], "shape": [-1]}
              for s in variant.signature.inputs]  # fmt: skip
    return Response.json({
        "name": variant.name, "versions": [str(v) for v in app.table.by_version],
        "platform": f"shipyard-{variant.model.manifest.flavor}", "inputs": inputs,
        "outputs": [{"name": "prediction", "datatype": "BYTES", "shape": [-1]}],
    })  # fmt: skip


async def model_ready(app: ServingApp, request: Request) -> Response:
    variant = _variant(app.table, request, None)
    if not app.ready:
        raise NotReadyError(f"{variant.label} is not ready.")
    return Response.json({"name": variant.name, "ready": True})


async def server_metadata(app: ServingApp, request: Request) -> Response:
    return Response.json({"name": "shipyard", "version": _version(),
                          "extensions": [binary.EXTENSION]})  # fmt: skip


def _version() -> str:
    try:
        return importlib.metadata.version("shipyard")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# -- feedback, health, metrics, OpenAPI ------------------------------------------------------


async def feedback(app: ServingApp, request: Request) -> Response:
    body = await request.json(app.options.max_body_bytes)
    batch = isinstance(body, dict) and "feedback" in body
    others = sorted(str(key) for key in body if key != "feedback") if batch else []
    if others:
        raise _feedback_problem(others[0], "is not a field of a list of labels")
    items = body["feedback"] if batch else [body]
    if not isinstance(items, list) or not items:
        raise _feedback_problem("feedback", "must be a non-empty list of labels")
    labels = [_feedback_item(app.options.deployment, item, i) for i, item in enumerate(items)]
    if app.prediction_log is None:
        raise ConflictError("This server does not log predictions, so it takes no feedback.",
                            hint="Start it without --no-log.")  # fmt: skip
    app.prediction_log.write_feedback(labels, timeout=0)  # a full log: 503 at once
    return Response.json({"accepted": len(labels)}, 202)


def _feedback_item(deployment: str, item: Any, position: int) -> Feedback:
    where = f"feedback[{position}]"
    if not isinstance(item, dict):
        raise _feedback_problem(where, 'must be an object with "request_id" and "label"')
    unknown = sorted(str(k) for k in item if k not in ("request_id", "label", "row"))
    if unknown:
        raise _feedback_problem(f"{where}.{unknown[0]}", "is not a field of a feedback label")
    request_id, row = item.get("request_id"), item.get("row", 0)
    if not isinstance(request_id, str) or not 0 < len(request_id) <= 128:
        raise _feedback_problem(f"{where}.request_id", "must be the request id of a prediction")
    if "label" not in item:
        raise _feedback_problem(f"{where}.label", "is missing")
    if type(row) is float and row.is_integer():  # JSON's 3.0 is the whole number 3
        row = int(row)
    try:  # checks the label and row against the log's column types
        return Feedback(deployment, request_id, item["label"], row=row)
    except InputValidationError as error:
        problems = [FieldProblem(f"{where}.{p.field}", p.problem) for p in error.problems]
        raise InputValidationError(problems, hint=error.hint) from None


def _feedback_problem(field: str, problem: str) -> InputValidationError:
    return InputValidationError([FieldProblem(field, problem)],
                                hint='Send {"request_id": "...", "label": ...}.')  # fmt: skip


async def live(app: ServingApp, request: Request) -> Response:
    return Response.json({"status": "live"})


async def ready(app: ServingApp, request: Request) -> Response:
    """Ready or not for everyone; the details (models, versions, the last errors) only with a
    valid token when the server asks for one."""
    if not app.ready:
        raise NotReadyError("The server is starting or stopping.", hint="Retry shortly.")
    details = app.authorized(request)
    if app.prediction_log is not None and app.options.log_failure == "refuse":
        stats = app.prediction_log.stats
        if stats.failing:
            cause = f" ({stats.last_error})" if details else ""
            raise NotReadyError(
                f"The prediction log cannot write{cause}, so this server refuses predictions.",
                hint="Fix the artifact store.",
            )
    return Response.json({"status": "ready", **(app.describe() if details else {})})


async def metrics(app: ServingApp, request: Request) -> Response:
    return Response(200, app.metrics.render().encode(), content_type=_PROMETHEUS)


_openapi_cache: dict[int, bytes] = {}


async def openapi(app: ServingApp, request: Request) -> Response:
    table = app.table
    cached = _openapi_cache.get(id(table))
    if cached is None:
        primary = table.primary
        document = openapi_document(
            primary.name, primary.version, primary.signature, extra=app.options.extra,
            categories=app.options.unknown_categories == "reject", secured=bool(app.options.tokens),
            explain=app.options.explain,
        )  # fmt: skip
        cached = orjson.dumps(document)
        _openapi_cache.clear()
        _openapi_cache[id(table)] = cached
    return Response(200, cached)
