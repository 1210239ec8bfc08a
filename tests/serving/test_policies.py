"""Validation policies, in process (the same ASGI app, driven through httpx's ASGI transport):
unexpected columns ignored, categories the signature lacks allowed through to the model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from shipyard.serving.deploy import deployment_for_target
from shipyard.serving.online import ServeOptions, create_app
from tests.serving.conftest import home_workspace
from tests.serving.models import GOOD


def _ask(home: Path, bodies: list[Any], **options: Any) -> list[httpx.Response]:
    workspace = home_workspace(home)
    deployment = deployment_for_target("churn/1", workspace=workspace).name
    app = create_app(ServeOptions(deployment=deployment, log_predictions=False, **options),
                     workspace)  # fmt: skip

    async def scenario() -> list[httpx.Response]:
        await app.startup()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return [await client.post("/predict", json=body) for body in bodies]
        finally:
            await app.shutdown()

    try:
        return asyncio.run(scenario())
    finally:
        workspace.close()


def test_unexpected_columns_are_dropped_when_the_policy_says_ignore(served_home: Path) -> None:
    extra = {"instances": [{**GOOD, "tenure": 3}]}
    strict, lenient = _ask(served_home, [extra]), _ask(served_home, [extra], extra="ignore")
    assert strict[0].status_code == 422
    assert strict[0].json()["error"]["problems"][0]["field"] == "tenure"
    assert lenient[0].status_code == 200 and lenient[0].json()["version"] == 1


def test_unknown_categories_reach_the_model_when_allowed(served_home: Path) -> None:
    gold = {"instances": [{**GOOD, "plan": "gold"}]}
    refused = _ask(served_home, [gold])[0]
    assert refused.status_code == 422 and "unknown category" in refused.text
    # allowed through, the model's own encoder refuses it: the input is valid under this
    # policy, so that is the model's error (a 500 of its own), not the client's
    allowed = _ask(served_home, [gold, {"instances": [GOOD]}], unknown_categories="allow")
    assert allowed[0].status_code == 500
    assert allowed[0].json()["error"]["type"] == "ModelPredictionError"
    assert "could not predict" in allowed[0].json()["error"]["message"]
    assert allowed[1].status_code == 200
