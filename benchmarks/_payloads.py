"""Large requests to one Shipyard server: 1,000 rows a request, sent three ways, one client at
a time, in alternating rounds so the noise of a shared machine falls on each alike.

- ``v2_json``: ``POST /v2/models/NAME/infer`` with JSON tensors (one per column);
- ``v2_binary``: the same request with the binary tensor data extension, as tritonclient sends
  by default (a JSON header whose length is in ``Inference-Header-Content-Length``, then each
  tensor's raw bytes; the prediction asked back as binary too);
- ``predict_json``: ``POST /predict`` with ``{"instances": [...]}`` records, for reference.

Each body is encoded once, before timing: the figures are the server's round trip (and the
client's reading of the answer), not the client's encoding.
"""

from __future__ import annotations

import statistics
import struct
import time
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd

ROWS = 1_000
KINDS = ("v2_json", "v2_binary", "predict_json")


def _datatype(values: np.ndarray[Any, Any]) -> str:
    if values.dtype.kind in "iu":
        return "INT64"
    if values.dtype.kind == "f":
        return "FP64"
    return "BYTES"


def _raw(values: np.ndarray[Any, Any], datatype: str) -> bytes:
    if datatype == "INT64":
        return values.astype("<i8").tobytes()
    if datatype == "FP64":
        return values.astype("<f8").tobytes()
    parts = []
    for value in values:
        encoded = str(value).encode()
        parts.append(struct.pack("<I", len(encoded)) + encoded)
    return b"".join(parts)


def bodies(frame: pd.DataFrame) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Each kind's request body and headers for the rows of ``frame``."""
    columns = [(name, frame[name].to_numpy()) for name in frame.columns]
    typed = [(name, values, _datatype(values)) for name, values in columns]
    as_json = {
        "inputs": [{"name": name, "shape": [len(frame)], "datatype": datatype,
                    "data": values.tolist()} for name, values, datatype in typed],
        "outputs": [{"name": "prediction"}],
    }  # fmt: skip
    blobs = [_raw(values, datatype) for _, values, datatype in typed]
    header = orjson.dumps({
        "inputs": [{"name": name, "shape": [len(frame)], "datatype": datatype,
                    "parameters": {"binary_data_size": len(blob)}}
                   for (name, _, datatype), blob in zip(typed, blobs, strict=True)],
        "outputs": [{"name": "prediction", "parameters": {"binary_data": True}}],
    })  # fmt: skip
    json_headers = {"content-type": "application/json"}
    return {
        "v2_json": (orjson.dumps(as_json), json_headers),
        "v2_binary": (header + b"".join(blobs), {
            "content-type": "application/octet-stream",
            "inference-header-content-length": str(len(header)),
        }),
        "predict_json": (orjson.dumps({"instances": frame.to_dict(orient="records")}),
                         json_headers),
    }  # fmt: skip


def measure_payloads(
    port: int, model: str, frame: pd.DataFrame, *, rounds: int = 3, requests: int = 60
) -> dict[str, float]:
    """Median milliseconds per 1,000-row request, rows/s and body bytes of each kind."""
    sent = bodies(frame.head(ROWS).reset_index(drop=True))
    paths = {"v2_json": f"/v2/models/{model}/infer", "v2_binary": f"/v2/models/{model}/infer",
             "predict_json": "/predict"}  # fmt: skip
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for kind in KINDS:  # warm-up: each path once
            _post(client, paths[kind], *sent[kind])
        for number in range(rounds):
            order = KINDS if number % 2 == 0 else tuple(reversed(KINDS))
            for kind in order:
                for _ in range(requests):
                    started = time.perf_counter()
                    _post(client, paths[kind], *sent[kind])
                    seconds[kind].append(time.perf_counter() - started)
    figures: dict[str, float] = {}
    for kind in KINDS:
        middle = statistics.median(seconds[kind])
        figures[f"{kind}_1000_rows_ms"] = round(middle * 1000.0, 3)
        figures[f"{kind}_1000_rows_per_s"] = round(ROWS / middle, 1)
        figures[f"{kind}_1000_rows_body_bytes"] = float(len(sent[kind][0]))
    return figures


def _post(client: httpx.Client, path: str, body: bytes, headers: dict[str, str]) -> None:
    answer = client.post(path, content=body, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    answer.read()
