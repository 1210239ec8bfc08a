"""The stages that judge the candidate version itself: the package checks (it loads, verifies
and warms up; it has a signature; what it needs trusted; no pickle unless the project trusts
it; its size) and the integration test on an ephemeral server (the smoke cases, then the
evaluation set scored over HTTP and by the batch engine, both equal to in-process
predictions)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard._store.workspace import Workspace
from shipyard.ci.checks import StageFailed
from shipyard.core.errors import ShipyardError
from shipyard.core.http import http_client

if TYPE_CHECKING:
    import pandas as pd


UNSAFE_SERIALIZATIONS = ("pickle", "joblib")
HTTP_CHUNK_ROWS = 5000
MAX_BODY_BYTES = 1_000_000  # under the server's default limit of 1 MiB


def check_package(
    ref: str, *, trusted: bool, max_mb: float, workspace: Workspace
) -> tuple[str, dict[str, Any]]:
    """Load ``ref`` (hashes verified, input example run once) and judge its package."""
    from shipyard.registry import load_model

    try:
        model = load_model(ref, trusted=trusted, warm=True, workspace=workspace)
    except ShipyardError as error:
        raise StageFailed(f"{ref} does not load: {error.message}", hint=error.hint) from None
    manifest = model.manifest
    size = sum(entry.size for entry in manifest.files.values())
    details = {
        "flavor": manifest.flavor, "serialization": manifest.serialization,
        "inputs": [spec.name for spec in model.signature.inputs],
        "needs_trust": list(manifest.extra.get("untrusted_types") or []),
        "size_bytes": size, "files": len(manifest.files),
    }  # fmt: skip
    if not manifest.signature or not model.signature.inputs:
        raise StageFailed(f"{ref} has no signature.", details=details)
    if manifest.serialization in UNSAFE_SERIALIZATIONS and not trusted:
        raise StageFailed(
            f"{ref} is saved with {manifest.serialization}, which can run code on load, and the "
            "project does not trust it.",
            hint="Save with skops, or set model.trusted: true in shipyard.yaml.",
            details=details,
        )
    if size > max_mb * 1024 * 1024:
        raise StageFailed(
            f"{ref} is {size / 1024 / 1024:.1f} MB, over the limit of {max_mb:g} MB.",
            hint="Raise ci.max_package_mb in shipyard.yaml, or make the model smaller.",
            details=details,
        )
    needs = list(manifest.extra.get("untrusted_types") or [])
    trust = f", needs trust for {len(needs)} type(s)" if needs else ""
    return f"{manifest.flavor} ({manifest.serialization}), {size / 1024:.0f} KB{trust}", details


def integration(
    ref: str,
    *,
    evaluation_set: str,
    smoke_cases: Sequence[Mapping[str, Any]],
    trusted: bool,
    host: str,
    parity_rows: int | None,
    workspace: Workspace,
) -> tuple[str, dict[str, Any]]:
    """Serve ``ref`` on a free port of ``host``, run the smoke cases, and check that rows of
    the evaluation set scored over HTTP and by the batch engine equal in-process predictions:
    a covering sample of ``parity_rows`` rows (every row when None)."""

    from shipyard.delivery.ephemeral import ephemeral_server
    from shipyard.delivery.smoke import smoke_test
    from shipyard.registry import load_model
    from shipyard.tracking.datasets import load_dataset

    model = load_model(ref, trusted=trusted, warm=False, workspace=workspace)
    frame = load_dataset(evaluation_set, workspace=workspace)
    features = parity_sample(frame[[spec.name for spec in model.signature.inputs]], parity_rows)
    # The three scorings are independent and share the loaded model (models/in_use.py): the
    # batch engine and the in-process predictions run on threads of their own while the
    # server starts and answers (each mostly in native code that releases the GIL).
    with ThreadPoolExecutor(2, thread_name_prefix="shipyard-ci-parity") as pool:
        in_batch = pool.submit(_score_in_batch, ref, features, trusted=trusted,
                               workspace=workspace)  # fmt: skip
        in_process = pool.submit(model.predict, features)
        with ephemeral_server(ref, workspace=workspace, host=host) as url:
            smoke = smoke_test(ref, smoke_cases, url=url, workspace=workspace)
            details: dict[str, Any] = {
                "url": url, "smoke": smoke.to_dict(), "rows": len(features),
                "evaluation_rows": len(frame),
            }  # fmt: skip
            if not smoke.passed:
                raise StageFailed(f"Smoke test failed: {smoke.failures[0]}.", details=details)
            with http_client(url, timeout=120.0) as client:
                served = _score_over_http(client, features)
        expected, batched = in_process.result(), in_batch.result()
    for how, got in (("over HTTP", served), ("by the batch engine", batched)):
        row = _first_difference(expected, got)
        if row is not None:
            raise StageFailed(
                f"Training/serving parity broken: row {features.index[row]} of "
                f"{evaluation_set} scored {how} is {_show(got, row)}, in process "
                f"{_show(expected, row)}.",
                details=details,
            )
    cases = len(smoke.results)
    scored = f"all {len(frame)} evaluation rows"
    if len(features) < len(frame):
        scored = f"{len(features)} of {len(frame)} evaluation rows (a covering sample)"
    return (f"{cases} smoke case(s) passed; {scored} equal over HTTP, in batch and in "
            "process"), details  # fmt: skip


def parity_sample(features: pd.DataFrame, rows: int | None) -> pd.DataFrame:
    """At most ``rows`` rows of ``features`` (all when None or fewer), chosen to cover what
    breaks encodings: the first row with each value of every non-numeric column, rows with a
    missing value in each column, each numeric column's extremes, then rows drawn at random
    with a fixed seed. The rows keep their positions (index) in the evaluation set."""
    import numpy as np
    import pandas as pd

    frame = features.reset_index(drop=True)
    if rows is None or len(frame) <= rows:
        return frame
    chosen: dict[int, None] = {}  # ordered set of positions
    for column in frame.columns:
        values = frame[column]
        missing = np.flatnonzero(values.isna().to_numpy())[:3]
        chosen.update(dict.fromkeys(missing.tolist()))
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            present = np.flatnonzero(values.notna().to_numpy())
            if len(present):
                numbers = values.to_numpy()[present]
                chosen.update(dict.fromkeys(
                    [int(present[numbers.argmin()]), int(present[numbers.argmax()])]
                ))  # fmt: skip
        else:
            firsts = values.drop_duplicates().index[:rows]
            chosen.update(dict.fromkeys(int(i) for i in firsts))
    picked = list(chosen)[:rows]
    rest = np.setdiff1d(np.arange(len(frame)), picked)
    extra = np.random.default_rng(0).choice(rest, rows - len(picked), replace=False)
    return frame.iloc[np.sort(np.concatenate([picked, extra]).astype(int))]


def _score_over_http(client: Any, features: pd.DataFrame) -> list[Any]:
    """Post the rows in requests under the server's default body limit (halving the rows per
    request until the body fits)."""
    predictions: list[Any] = []
    start, rows = 0, HTTP_CHUNK_ROWS
    while start < len(features):
        chunk = features.iloc[start : start + rows]
        body = b'{"instances":' + chunk.to_json(orient="records", date_format="iso").encode() + b"}"
        if len(body) > MAX_BODY_BYTES and rows > 1:
            rows //= 2
            continue
        response = client.post("/predict", content=body,
                               headers={"content-type": "application/json"})  # fmt: skip
        if response.status_code != 200:
            raise StageFailed(
                f"The server answered {response.status_code} for rows {start}.."
                f"{start + len(chunk) - 1} of the evaluation set: {response.text[:200]}"
            )
        predictions.extend(response.json()["predictions"])
        start += len(chunk)
    return predictions


def _score_in_batch(
    ref: str, features: pd.DataFrame, *, trusted: bool, workspace: Workspace
) -> list[Any]:
    import pyarrow.parquet as pq

    from shipyard.serving.batch import batch_score

    with tempfile.TemporaryDirectory(prefix="shipyard-ci-") as folder:
        source = Path(folder) / "eval.parquet"
        features.to_parquet(source, index=False)
        name = ref.replace("/", "-v")
        batch_score(ref, str(source), str(Path(folder) / "out"), workers=0, trusted=trusted,
                    log_predictions=False, name=f"{name}-ci-parity",
                    workspace=workspace)  # fmt: skip
        table = pq.read_table(Path(folder) / "out").sort_by("row_id").to_pandas()
    if "prediction" in table.columns:
        return [_plain(v) for v in table["prediction"].tolist()]
    columns = [c for c in table.columns if c.startswith("prediction_")]
    return [
        {c.removeprefix("prediction_"): _plain(row[c]) for c in columns}
        for row in table.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _first_difference(expected: Sequence[Any], got: Sequence[Any]) -> int | None:
    if len(expected) != len(got):
        return min(len(expected), len(got))
    return next((i for i, (a, b) in enumerate(zip(expected, got, strict=True))
                 if not _same(a, b)), None)  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _show(values: Sequence[Any], row: int) -> str:
    return repr(values[row]) if row < len(values) else "missing"


__all__ = ["check_package", "integration", "parity_sample"]
