"""Adaptive micro-batching: no waiting when idle, one model call for concurrent requests."""

from __future__ import annotations

import asyncio
import time

from shipyard.serving.online.batcher import Batcher, Gate, Job


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, jobs: list[Job]) -> None:
        self.calls.append([job.request_id for job in jobs])
        for job in jobs:
            job.result = [record["x"] * 2 for record in job.records]


def _job(name: str, rows: int = 1) -> Job:
    return Job([{"x": i} for i in range(rows)], name, time.perf_counter())


def test_an_idle_server_predicts_at_once() -> None:
    async def scenario() -> tuple[list[list[str]], float]:
        recorder = Recorder()
        batcher = Batcher(recorder, Gate(), max_batch_size=64, max_wait=5.0)
        batcher.start()
        job = _job("only", 3)
        started = time.perf_counter()
        await batcher.predict(job)
        elapsed = time.perf_counter() - started
        assert job.result == [0, 2, 4]
        await batcher.close()
        return recorder.calls, elapsed

    calls, elapsed = asyncio.run(scenario())
    assert calls == [["only"]] and elapsed < 0.5  # never waited for the 5 s max_wait


def test_concurrent_requests_share_one_call_up_to_the_batch_size() -> None:
    async def scenario() -> list[list[str]]:
        recorder = Recorder()
        gate = Gate()
        batcher = Batcher(recorder, gate, max_batch_size=4, max_wait=1.0)
        batcher.start()

        async def request(name: str) -> Job:
            gate.enter(name, time.perf_counter())  # ten clients
            await asyncio.sleep(0)  # the body is being read
            gate.leave()
            job = _job(name)
            await batcher.predict(job)
            return job

        jobs = await asyncio.gather(*(request(f"r{i}") for i in range(10)))
        assert [job.result for job in jobs] == [[0]] * 10
        await batcher.close()
        return recorder.calls

    calls = asyncio.run(scenario())
    assert sorted(r for call in calls for r in call) == sorted(f"r{i}" for i in range(10))
    assert max(len(call) for call in calls) == 4  # batched, never above the maximum
    assert len(calls) <= 4


def test_a_batch_waits_for_requests_being_read_but_at_most_max_wait() -> None:
    async def scenario() -> tuple[list[list[str]], float]:
        recorder = Recorder()
        gate = Gate()
        batcher = Batcher(recorder, gate, max_batch_size=8, max_wait=0.05)
        batcher.start()
        gate.enter()  # a request that never finishes arriving
        blocker = _job("blocker")
        first = _job("first")
        started = time.perf_counter()
        await batcher.predict(first)  # queued (someone is reading): waits, then runs alone
        waited = time.perf_counter() - started
        gate.leave()
        await batcher.predict(blocker)
        await batcher.close()
        return recorder.calls, waited

    calls, waited = asyncio.run(scenario())
    assert calls == [["first"], ["blocker"]]
    assert 0.04 <= waited < 1.0


def test_batching_off_predicts_each_request_alone_and_shadows_are_bounded() -> None:
    async def scenario() -> tuple[list[list[str]], bool]:
        recorder = Recorder()
        gate = Gate()
        off = Batcher(recorder, gate, max_batch_size=8, max_wait=0.05, batching=False)
        await asyncio.gather(*(off.predict(_job(f"r{i}")) for i in range(3)))
        shadow = Batcher(recorder, gate, max_batch_size=8, max_wait=0.0)
        accepted = [shadow.submit_nowait(_job(f"s{i}"), limit=2) for i in range(3)]
        shadow.start()
        await shadow.close()
        return recorder.calls, accepted == [True, True, False]

    calls, bounded = asyncio.run(scenario())
    assert calls[:3] == [["r0"], ["r1"], ["r2"]] and calls[3:] == [["s0", "s1"]]
    assert bounded


def test_a_failing_model_call_fails_only_its_jobs() -> None:
    def broken(jobs: list[Job]) -> None:
        raise RuntimeError("boom")

    async def scenario() -> Job:
        batcher = Batcher(broken, Gate(), max_batch_size=8, max_wait=0.0)
        batcher.start()
        job = _job("x")
        await batcher.predict(job)
        await batcher.close()
        return job

    job = asyncio.run(scenario())
    assert isinstance(job.error, RuntimeError) and job.result is None
