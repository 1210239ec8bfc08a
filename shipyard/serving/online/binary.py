"""The binary tensor data extension of the Open Inference Protocol v2 (as KServe's and Triton's
servers speak it, and tritonclient sends by default).

A request whose ``Inference-Header-Content-Length`` header says N holds N bytes of JSON, then
the raw bytes of every input tensor whose ``parameters.binary_data_size`` says how many, in the
order of ``inputs``: little-endian numbers, or for ``BYTES`` each element as a 4-byte
little-endian length and its bytes. An answer carries its outputs the same way when the request
asks for it (``parameters.binary_data_output``, or ``binary_data`` on a requested output).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from shipyard.core.errors import FieldProblem, InputValidationError
from shipyard.serving.online.http import MalformedRequestError

EXTENSION = "binary_tensor_data"
HEADER = b"inference-header-content-length"

_NUMBERS = {"BOOL": "?", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
            "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8",
            "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}  # fmt: skip


def parse_request(raw: bytes, header_length: bytes | None) -> Any:
    """The JSON of an inference request, with the values of binary input tensors put in
    their ``data`` as plain lists, so the rest of the server sees one request shape."""
    if header_length is None:
        return _json(raw)
    if not header_length.isdigit() or int(header_length) > len(raw):
        raise MalformedRequestError(
            "The Inference-Header-Content-Length header is not the length of the JSON header.",
            hint="Send the byte length of the JSON part of the body.",
        )
    split = int(header_length)
    body = _json(raw[:split])
    blob = memoryview(raw)[split:]
    offset = 0
    tensors = body.get("inputs") if isinstance(body, dict) else None
    for tensor in tensors if isinstance(tensors, list) else []:
        size = _binary_size(tensor)
        if size is None:
            continue
        name = str(tensor.get("name"))
        if offset + size > len(blob):
            raise _bad(name, f"says {size} bytes of binary data, but the body holds fewer")
        tensor["data"] = _decode(bytes(blob[offset : offset + size]), tensor.get("datatype"), name)
        offset += size
    if offset != len(blob):
        raise _bad("inputs", f"the body holds {len(blob) - offset} bytes no input claims")
    return body


def wants_binary(body: Any) -> bool:
    """The request asks for its outputs as binary data."""
    if not isinstance(body, dict):
        return False
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and parameters.get("binary_data_output") is True:
        return True
    outputs = body.get("outputs")
    return isinstance(outputs, list) and any(
        isinstance(o, dict) and isinstance(o.get("parameters"), dict)
        and o["parameters"].get("binary_data") is True
        for o in outputs
    )  # fmt: skip


def encode_response(answer: dict[str, Any]) -> tuple[bytes, int] | None:
    """The answer with its output tensors as binary data: (body, JSON header length), or None
    when an output cannot be packed (values of mixed kinds or nulls), to answer in JSON."""
    blobs: list[bytes] = []
    outputs = []
    for output in answer["outputs"]:
        packed = _encode(output["data"], output["datatype"])
        if packed is None:
            return None
        blobs.append(packed)
        rest = {k: v for k, v in output.items() if k != "data"}
        outputs.append({**rest, "parameters": {"binary_data_size": len(packed)}})
    header = orjson.dumps({**answer, "outputs": outputs})
    return header + b"".join(blobs), len(header)


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedRequestError(
            f"The body is not valid JSON: {exc}.", hint="Send a JSON object."
        ) from exc


def _binary_size(tensor: Any) -> int | None:
    if not isinstance(tensor, dict) or not isinstance(tensor.get("parameters"), dict):
        return None
    size = tensor["parameters"].get("binary_data_size")
    if size is None:
        return None
    if type(size) is not int or size < 0:
        raise _bad(str(tensor.get("name")), "binary_data_size must be a whole number of bytes")
    return size


def _decode(chunk: bytes, datatype: Any, name: str) -> list[Any]:
    if datatype == "BYTES":
        values: list[Any] = []
        offset = 0
        while offset < len(chunk):
            if offset + 4 > len(chunk):
                raise _bad(name, "BYTES data ends inside an element's length")
            (length,) = struct.unpack_from("<I", chunk, offset)
            offset += 4
            if offset + length > len(chunk):
                raise _bad(name, "BYTES data ends inside an element")
            try:
                values.append(chunk[offset : offset + length].decode("utf-8"))
            except UnicodeDecodeError:
                raise _bad(name, "BYTES elements must be UTF-8 text") from None
            offset += length
        return values
    code = _NUMBERS.get(datatype) if isinstance(datatype, str) else None
    if code is None:
        raise _bad(name, f"has datatype {datatype!r}, which has no binary form")
    dtype = np.dtype(code)
    if len(chunk) % dtype.itemsize:
        raise _bad(name, f"{len(chunk)} bytes are not a whole number of {datatype} values")
    numbers: list[Any] = np.frombuffer(chunk, dtype).tolist()
    return numbers


def _encode(data: list[Any], datatype: str) -> bytes | None:
    try:
        if datatype == "BYTES":
            if not all(isinstance(value, str) for value in data):
                return None
            parts = [value.encode() for value in data]
            return b"".join(struct.pack("<I", len(part)) + part for part in parts)
        return np.asarray(data, dtype=np.dtype(_NUMBERS[datatype])).tobytes()
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _bad(field: str, problem: str) -> InputValidationError:
    return InputValidationError(
        [FieldProblem(field, problem)],
        hint="Binary tensor data follows the JSON header: numbers little-endian, BYTES as a "
        "4-byte length and the bytes of each element.",
    )
