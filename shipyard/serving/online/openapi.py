"""The OpenAPI 3.1 document of a server, generated from the signature of the model it serves:
each input column is a property with its JSON type, nullability, categories and bounds."""

from __future__ import annotations

from typing import Any

from shipyard.models.signature import ColumnSpec, Signature
from shipyard.serving.online.payloads import V2_TYPES
from shipyard.serving.prediction_log import ROW_MAX

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_TYPES = {"integer": "integer", "float": "number", "boolean": "boolean", "string": "string",
          "datetime": "string"}  # fmt: skip


def column_schema(spec: ColumnSpec, *, categories: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _TYPES[spec.dtype]}
    if spec.dtype == "datetime":
        schema["format"] = "date-time"
    if categories and spec.categories is not None:
        schema["enum"] = list(spec.categories)
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    if spec.dtype == "integer":  # the model sees 64-bit integers
        schema["minimum"] = max(schema.get("minimum", INT64_MIN), INT64_MIN)
        schema["maximum"] = min(schema.get("maximum", INT64_MAX), INT64_MAX)
    if spec.nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"].append(None)
    return schema


def _ref(schema: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schema}"}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*statuses: int, schema: str = "Error") -> dict[str, Any]:
    text = {400: "Malformed JSON or request shape", 401: "Missing or wrong bearer token",
            404: "Unknown model", 409: "This server logs no predictions", 413: "Body too large",
            422: "Input does not match the signature", 429: "Too many requests",
            503: "Not ready, or the prediction log is failing"}  # fmt: skip
    return {str(status): _json(schema, text[status]) for status in statuses}


def openapi_document(
    model: str,
    version: int,
    signature: Signature,
    *,
    extra: str,
    categories: bool,
    secured: bool,
    explain: bool = False,
) -> dict[str, Any]:
    """The server's OpenAPI 3.1 document: its endpoints, with each input column's schema
    (``/explain`` only when the deployment turns explanations on)."""
    record = {
        "type": "object",
        "properties": {s.name: column_schema(s, categories=categories) for s in signature.inputs},
        "required": signature.names,
        "additionalProperties": extra != "reject",
    }
    shape = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
             "minItems": 1, "maxItems": 2}  # fmt: skip
    tensors = [
        {"type": "object", "required": ["name", "shape", "datatype", "data"],
         "properties": {"name": {"const": spec.name}, "shape": shape,
                        "datatype": {"enum": list(V2_TYPES[spec.dtype])},
                        "data": {"type": "array"}}}
        for spec in signature.inputs
    ]  # fmt: skip
    label = {
        "type": "object", "required": ["request_id", "label"], "additionalProperties": False,
        "properties": {"request_id": {"type": "string", "minLength": 1, "maxLength": 128},
                       "label": {}, "row": {"type": "integer", "minimum": 0, "maximum": ROW_MAX}},
    }  # fmt: skip
    schemas: dict[str, Any] = {
        "Record": record,
        "PredictRequest": {
            "type": "object",
            "oneOf": [
                _one("instances", {"type": "array", "items": _ref("Record")}),
                _one("dataframe_records", {"type": "array", "items": _ref("Record")}),
                _one("dataframe_split", {
                    "type": "object", "required": ["columns", "data"],
                    "properties": {"columns": {"type": "array", "items": {"type": "string",
                                                                          "enum": signature.names}},
                                   "data": {"type": "array", "items": {"type": "array"}},
                                   "index": {"type": "array"}},
                    "additionalProperties": False,
                }),
            ],
        },
        "PredictResponse": {
            "type": "object", "required": ["predictions", "model", "version", "request_id"],
            "properties": {"predictions": {"type": "array"}, "model": {"type": "string"},
                           "version": {"type": "integer"}, "request_id": {"type": "string"}},
        },
        "InferRequest": {"type": "object", "required": ["inputs"],
                         "properties": {"id": {"type": ["string", "null"]}, "inputs": {
                             "type": "array", "minItems": len(tensors), "items": {"oneOf": tensors},
                             "allOf": [{"contains": {"properties": {"name": {"const": name}}}}
                                       for name in signature.names]}}},
        "InferResponse": {"type": "object",
                          "required": ["model_name", "model_version", "outputs"]},
        "Feedback": {"oneOf": [label, _one("feedback", {"type": "array", "minItems": 1,
                                                        "items": label})]},
        "ExplainResponse": {
            "type": "object",
            "required": ["method", "attributions", "base_value", "model", "version", "request_id"],
            "properties": {"method": {"type": "string"}, "output": {"type": "string"},
                           "base_value": {}, "classes": {"type": ["array", "null"]},
                           "attributions": {"type": "array", "items": {"type": "object"}},
                           "model": {"type": "string"}, "version": {"type": "integer"},
                           "request_id": {"type": "string"}},
        },
        "V2Error": {"type": "object", "required": ["error"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "object"}}},
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "object", "required": ["type", "message"]}}},
    }  # fmt: skip
    auth = [401] if secured else []
    predict = {
        "summary": f"Predict with {model}",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PredictRequest"}}}},
        "responses": {"200": _json("PredictResponse", "One prediction per row"),
                      **_errors(400, *auth, 413, 422, 503)},
    }  # fmt: skip
    infer = {
        "summary": "Open Inference Protocol v2",
        "parameters": [{"name": "model_name", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": [model]}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/InferRequest"}}}},
        "responses": {"200": _json("InferResponse", "Output tensors"),
                      **_errors(400, *auth, 404, 413, 422, 503, schema="V2Error")},
    }  # fmt: skip
    plain = {"responses": {"200": {"description": "OK"}, **_errors(*auth)}}
    health = {"responses": {"200": {"description": "OK"}, **_errors(503)}}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": f"{model} (version {version}) on Shipyard", "version": str(version)},
        "paths": {
            "/predict": {"post": predict},
            "/invocations": {"post": {**predict, "operationId": "invocations"}},
            "/v2/models/{model_name}/infer": {"post": infer},
            "/feedback": {"post": {
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Feedback"}}}},
                "responses": {"202": {"description": "Accepted"},
                              **_errors(400, *auth, 409, 413, 422, 503)},
            }},
            "/health/live": {"get": health},
            "/health/ready": {"get": health},
            "/metrics": {"get": plain},
        },
        "components": {"schemas": schemas},
    }  # fmt: skip
    if explain:
        document["paths"]["/explain"] = {"post": {
            "summary": f"SHAP attributions of {model}'s predictions, per input column",
            "requestBody": predict["requestBody"],
            "responses": {"200": _json("ExplainResponse", "One attribution per row and column"),
                          **_errors(400, *auth, 413, 422, 429, 503)},
        }}  # fmt: skip
    if secured:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        document["security"] = [{"bearer": []}]
    return document


def _one(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [key], "properties": {key: schema},
            "additionalProperties": False}  # fmt: skip
