"""BentoML, the serving benchmark's reference with adaptive batching: a service written the way
BentoML 1.4 documents it (``@bentoml.service``, ``@bentoml.api(batchable=True, ...)``),
loading the very model file the other servers load, run by ``bentoml serve`` on loopback.

Configuration, chosen to match Shipyard's defaults on the same 2 cores:

- ``workers`` = the number of processes Shipyard serves with (``--workers``, 2);
- adaptive batching on with ``max_batch_size=64`` (Shipyard's default batch bound); BentoML's
  ``max_latency_ms`` is a latency objective above which it sheds requests, not a wait, so it is
  set to a generous 1,000 ms that no request comes near at 64 clients;
- one native thread per process (``OMP_NUM_THREADS=1`` and friends), as Shipyard uses;
- everything else BentoML's defaults (its access log included), usage tracking off.
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_BATCH_SIZE = 64
MAX_LATENCY_MS = 1_000
READY = "/readyz"

SERVICE = """
from __future__ import annotations

import pickle
from typing import Any

import bentoml
import pandas as pd

MODEL_PATH = {path!r}


@bentoml.service(workers={workers})
class Churn:
    def __init__(self) -> None:
        with open(MODEL_PATH, "rb") as handle:  # written by the benchmark itself
            self.model = pickle.load(handle)

    @bentoml.api(batchable=True, max_batch_size={max_batch_size}, max_latency_ms={max_latency_ms})
    def predict(self, instances: list[dict[str, Any]]) -> list[int]:
        return self.model.predict(pd.DataFrame(instances)).tolist()
"""


def environment(root: Path) -> dict[str, str]:
    """What BentoML reads: a fresh home, no usage tracking, one native thread per process."""
    single = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    return {"BENTOML_HOME": str(root / "bentoml"), "BENTOML_DO_NOT_TRACK": "true",
            "DO_NOT_TRACK": "true", **single}  # fmt: skip


def command(root: Path, model: str, port: int, workers: int) -> list[str]:
    """``bentoml serve`` of the model's service (written into ``root`` on first use)."""
    module = f"bento_{model}"
    path = root / f"{module}.py"
    if not path.exists():
        path.write_text(SERVICE.format(
            path=str(root / f"model-{model}.pkl"), workers=workers,
            max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS,
        ))  # fmt: skip
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    return [bentoml, "serve", f"{module}:Churn", "--host", "127.0.0.1", "--port", str(port)]
