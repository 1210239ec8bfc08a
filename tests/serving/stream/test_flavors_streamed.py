"""A framework flavor scored by a stream worker: the PyTorch MLP (a tensor signature)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.brokers import Broker
from tests.serving.conftest import home_workspace
from tests.serving.flavor_models import build, register, same
from tests.serving.stream.streams import Names, read, worker_thread, write


@pytest.mark.slow
def test_a_torch_model_scores_a_stream_as_torch_does(redis_server: Broker, tmp_path: Path) -> None:
    served = {"torch": build()["torch"]}
    home = tmp_path / "home"
    workspace = home_workspace(home)
    try:
        register(workspace, served)
        names = Names(redis_server).prepare()
        rows = served["torch"].rows.to_dict(orient="records")
        with worker_thread("torch@production", names, workspace, poll_interval=0.1,
                           max_batch=16, metrics_port=None):  # fmt: skip
            write(names, [(str(i), orjson.dumps(row)) for i, row in enumerate(rows)])
            results = read(names, names.sink, at_least=len(rows))
    finally:
        workspace.close()
    by_key = {int(m.key or b"-1"): m.json["prediction"] for m in results}
    predictions = [by_key[i] for i in range(len(rows))]
    assert same(predictions, served["torch"].expected(), "torch")
