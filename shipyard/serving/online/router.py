"""Which version answers a request, and hot swaps when the deployment or an alias changes.

A :class:`RouteTable` is immutable: routes with weights (canary shares), shadows, and the
loaded variants. A request key (a header) picks its version as a stream's message key does
(:class:`~shipyard.serving.plans.Split`): the same key always reaches the same version, in
every worker process. The :class:`Router` polls the registry; when the plan changes (an alias
moved, the deployment's routes changed) it loads and warms the new versions in a thread,
builds a new table and swaps it in with one assignment. A version that fails to load leaves
the old table serving, and the failure is logged, counted and shown by ``/health/ready``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from shipyard._store.workspace import Workspace
from shipyard.core.logging import get_logger
from shipyard.models.flavors.base import Trust
from shipyard.models.loaded import LoadedModel
from shipyard.registry import load_model
from shipyard.serving.online import heap
from shipyard.serving.online.metrics import Metrics
from shipyard.serving.online.variant import Variant
from shipyard.serving.plans import FollowFailures, Plan, Split, read_plan

log = get_logger(__name__)

MakeVariant = Callable[[LoadedModel, str], Variant]


class RouteTable:
    def __init__(self, plan: Plan, variants: dict[tuple[int, str], Variant]) -> None:
        self.plan = plan
        self.routes = [variants[(version, "serve")] for version, _ in plan.routes]
        self.weights = [weight for _, weight in plan.routes]
        self.split = Split(self.weights)
        self.shadows = [variants[(version, "shadow")] for version in plan.shadows]
        self.primary = self.routes[self.weights.index(max(self.weights))]
        self.variants = variants
        self.by_version = {variant.version: variant for variant in self.routes}

    def pick(self, key: bytes | None) -> Variant:
        return self.routes[self.split.index(key)]


class Router:
    def __init__(
        self,
        deployment: str,
        workspace: Workspace,
        make_variant: MakeVariant,
        metrics: Metrics,
        *,
        trusted: Trust = False,
    ) -> None:
        self.deployment = deployment
        self._workspace = workspace
        self._make_variant = make_variant
        self._metrics = metrics
        self._trusted = trusted
        self.table: RouteTable | None = None
        self.failures = FollowFailures(deployment, metrics.event)
        self._lock = asyncio.Lock()

    def plan(self) -> Plan:
        """Read the deployment and resolve its aliases now (blocking: call in a thread)."""
        return read_plan(self.deployment, self._workspace)

    async def start(self) -> None:
        """Load the deployment's versions; raises if any cannot be loaded."""
        plan = await asyncio.to_thread(self.plan)
        self.table = await self._build(plan, {})
        log.info("serving %s", plan.describe(), extra={"deployment": self.deployment})

    async def refresh(self) -> bool:
        """Swap in a new table if the plan changed; True when it did."""
        async with self._lock:
            try:
                plan = await asyncio.to_thread(self.plan)
            except Exception as exc:
                self.failures.poll_failed(exc)
                return False
            current = self.table
            if current is None or plan == current.plan or self.failures.recently_failed(plan):
                return False
            try:
                table = await self._build(plan, current.variants)
            except Exception as exc:
                self.failures.load_failed(plan, plan.describe(), exc)
                return False
            self.table = table
            self.failures.clear()
            self._metrics.event("swap")
            log.info("swapped to %s", plan.describe(), extra={"deployment": self.deployment})
            retired = [v for key, v in current.variants.items() if key not in table.variants]
            for variant in retired:
                await variant.batcher.close()
            if retired:  # collect what they held in cycles once nothing here holds them
                asyncio.get_running_loop().call_soon(heap.after_swap)
            return True

    async def _build(self, plan: Plan, existing: dict[tuple[int, str], Variant]) -> RouteTable:
        wanted = [(v, "serve") for v, _ in plan.routes] + [(v, "shadow") for v in plan.shadows]
        models = {key[0]: variant.model for key, variant in existing.items()}
        variants: dict[tuple[int, str], Variant] = {}
        for version, role in wanted:
            if (version, role) in existing:
                variants[(version, role)] = existing[(version, role)]
                continue
            model = models.get(version)
            if model is None:
                model = await asyncio.to_thread(self._load, f"{plan.model}/{version}")
                models[version] = model
            variant = self._make_variant(model, role)
            variant.start()
            variants[(version, role)] = variant
        return RouteTable(plan, variants)

    def _load(self, ref: str) -> LoadedModel:
        return load_model(ref, workspace=self._workspace, trusted=self._trusted, warm=True)

    async def poll(self, interval: float) -> None:
        """Refresh every ``interval`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.refresh()

    async def close(self) -> None:
        if self.table is not None:
            for variant in self.table.variants.values():
                await variant.batcher.close()
