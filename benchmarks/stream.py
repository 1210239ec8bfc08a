"""Stream scoring benchmark: Shipyard's stream worker against the floor a user would write by
hand, on Kafka (the tansu broker) and on Redis Streams, for a LogisticRegression pipeline and a
HistGradientBoosting model.

The floor is a minimal consume -> predict -> produce loop, the naive one a user writes by hand:
auto-commit (Kafka) or NOACK (Redis), no validation, no dead letters, no prediction log, and
every read asks for a fixed batch of the worker's default ``max_batch`` events. Shipyard runs
with its defaults: offsets stored only after delivery, every event validated against the
signature, predictions logged, dead letters sent, hot swap between batches; its reads start at
``max_batch`` events too, and grow (doubling, up to ``batch_growth`` times ``max_batch``)
while they come back full, as they do when the source is backlogged at saturation, then shrink
back once they come back short, as they do at half load.

Both loops wait at most the worker's default ``max_wait_ms`` for a batch, read the same events,
and run with one native (BLAS/OpenMP) thread each, as the worker does. Figures per (broker,
model, loop):
- events/s at saturation: the source is filled first, then the loop drains it; the clock starts
  once the first batch is in (start-up, group join, model load excluded); after a short warm-up
  run, the median of ``--repeats`` runs, the two loops taking turns;
- CPU µs per event over the same window (every thread of the process), steadier than events/s
  on a shared machine;
- p50/p99 end-to-end latency (event produced -> result readable in the sink) at a fixed input
  rate of half the floor's saturation rate, paced by a producer thread.

Run with `make bench NAME=stream` (`--events` for a quicker look).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import threadpoolctl
from _common import emit_result, environment_line, fresh_dir, note, percentile, print_table, ratio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.brokers import Broker, create_topics, start_redis, start_tansu

NUMERIC = [f"f{i}" for i in range(8)]
LEVELS = ["alpha", "beta", "gamma", "delta"]
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
GROUP_SETTINGS = {"session.timeout.ms": "1000", "heartbeat.interval.ms": "300",
                  "fetch.wait.max.ms": "10"}  # fmt: skip
"""Consumer settings of both loops and the results reader: a group joins in about a second, and
an empty fetch comes back after 10 ms (tansu holds it for the whole ``fetch.wait.max.ms``, 500
ms by default, where Kafka answers as soon as data arrives: that wait is the broker's, not the
loop's)."""


def _worker_defaults() -> tuple[int, float]:
    """The worker's default batch size and wait, which the floor uses too (a fair loop)."""
    defaults = _worker_option_defaults()
    return int(defaults["max_batch"]), float(defaults["max_wait_ms"]) / 1000


def _worker_option_defaults() -> dict[str, Any]:
    from shipyard.serving.stream import StreamOptions

    return {f.name: f.default for f in dataclasses.fields(StreamOptions)}


class Progress:
    """Events a loop has taken in: the floor counts them itself, the worker's own summary is
    read (no extra thread in either process)."""

    def __init__(self) -> None:
        self.count = 0
        self.read: Any = None

    def __call__(self) -> int:
        return int(self.read()) if self.read is not None else self.count


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, len(NUMERIC))).round(4), columns=NUMERIC)
    frame["plan"] = rng.choice(LEVELS, rows)
    return frame


def train_models() -> dict[str, Any]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    frame = make_frame(20_000, seed=9)
    label = (frame["f0"] + frame["f1"] * frame["f2"] + (frame["plan"] == "beta")) > 0.3
    logistic = Pipeline([
        ("prepare", ColumnTransformer([("num", StandardScaler(), NUMERIC),
                                       ("cat", OneHotEncoder(), ["plan"])])),
        ("model", LogisticRegression(max_iter=300)),
    ])  # fmt: skip
    hgb = Pipeline([
        ("prepare", ColumnTransformer([("cat", OrdinalEncoder(), ["plan"])],
                                      remainder="passthrough")),
        ("model", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
    ])  # fmt: skip
    return {"logistic": logistic.fit(frame, label), "hgb": hgb.fit(frame, label)}


# -- the brokers, seen the same way by both loops ------------------------------------------


class Topics:
    """A fresh source and sink on ``broker``, with a writer and a reader of results."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        tag = uuid.uuid4().hex[:8]
        self.source, self.sink, self.group = f"in-{tag}", f"out-{tag}", f"g-{tag}"
        if broker.scheme == "kafka":
            create_topics(broker.address, {self.source: 1, self.sink: 1,
                                           f"{self.source}.dead-letter": 1})  # fmt: skip

    def writer(self) -> Any:
        if self.broker.scheme == "kafka":
            from confluent_kafka import Producer

            producer = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 1})

            def send(key: bytes, value: bytes) -> None:
                while True:
                    try:
                        producer.produce(self.source, value, key)
                        producer.poll(0)
                        return
                    except BufferError:
                        producer.poll(0.01)

            return send, lambda: producer.flush(30)
        import redis

        client = redis.Redis(port=self.broker.port)
        pipe = client.pipeline(transaction=False)
        pending = [0]

        def send_redis(key: bytes, value: bytes) -> None:
            pipe.xadd(self.source, {"key": key, "value": value})
            pending[0] += 1
            if pending[0] >= 200:
                pipe.execute()
                pending[0] = 0

        def flush() -> None:
            pipe.execute()

        return send_redis, flush

    def fill(self, events: list[tuple[bytes, bytes]]) -> None:
        send, flush = self.writer()
        for key, value in events:
            send(key, value)
        flush()


def results_reader(topics: Topics, arrived: dict[bytes, float], stop: threading.Event) -> None:
    """Record when each key's result becomes readable in the sink."""
    clock = time.perf_counter
    if topics.broker.scheme == "kafka":
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": topics.broker.address, "group.id": "reader",
                             "enable.auto.commit": False,
                             "fetch.wait.max.ms": GROUP_SETTINGS["fetch.wait.max.ms"]})  # fmt: skip
        consumer.assign([TopicPartition(topics.sink, 0, OFFSET_BEGINNING)])
        while not stop.is_set():
            for message in consumer.consume(1000, 0.05):
                if message.error() is None:
                    arrived.setdefault(message.key(), clock())
        consumer.close()
        return
    import redis

    client = redis.Redis(port=topics.broker.port)
    last = "0"
    while not stop.is_set():
        answer = client.xread({topics.sink: last}, count=1000, block=50)
        for _, entries in answer or []:
            now = clock()
            for entry_id, fields in entries:
                arrived.setdefault(fields[b"key"], now)
                last = entry_id
    client.close()


# -- the floor: what a user writes by hand -------------------------------------------------


def floor_loop(topics: Topics, model: Any, stop: threading.Event, done: Progress) -> None:
    loads, dumps = orjson.loads, orjson.dumps
    batch, wait = _worker_defaults()
    if topics.broker.scheme == "kafka":
        from confluent_kafka import Consumer, Producer

        consumer = Consumer({"bootstrap.servers": topics.broker.address, "group.id": topics.group,
                             "auto.offset.reset": "earliest", **GROUP_SETTINGS})  # fmt: skip
        producer = Producer({"bootstrap.servers": topics.broker.address, "linger.ms": 2})
        consumer.subscribe([topics.source])
        while not stop.is_set():
            messages = consumer.consume(batch, wait)
            if not messages:
                continue
            frame = pd.DataFrame([loads(m.value()) for m in messages])
            for message, value in zip(messages, model.predict(frame).tolist(), strict=True):
                producer.produce(topics.sink, dumps({"prediction": value}), message.key())
            producer.poll(0)
            done.count += len(messages)
        producer.flush(30)
        consumer.close()
        return
    import redis

    client = redis.Redis(port=topics.broker.port)
    client.xgroup_create(topics.source, topics.group, id="0", mkstream=True)
    pipe = client.pipeline(transaction=False)
    while not stop.is_set():
        answer = client.xreadgroup(topics.group, "floor", {topics.source: ">"}, count=batch,
                                   block=max(1, int(wait * 1000)), noack=True)  # fmt: skip
        if not answer:
            continue
        entries = answer[0][1]
        frame = pd.DataFrame([loads(fields[b"value"]) for _, fields in entries])
        for (_, fields), value in zip(entries, model.predict(frame).tolist(), strict=True):
            pipe.xadd(topics.sink, {"key": fields[b"key"], "value": dumps({"prediction": value})})
        pipe.execute()
        done.count += len(entries)
    client.close()


def shipyard_loop(topics: Topics, home: Path, name: str, stop: threading.Event,
                  done: Progress) -> None:  # fmt: skip
    import shipyard as sy
    from shipyard.serving.stream import StreamWorker, stream

    def ready(worker: StreamWorker) -> None:
        done.read = lambda: worker.summary.events_in

    workspace = sy.Workspace(sy.load_settings(home=home, capture_git=False,
                                              trusted_types=TRUSTED_TYPES))  # fmt: skip
    options: dict[str, Any] = {"consumer_options": GROUP_SETTINGS}
    if topics.broker.scheme == "redis":
        options = {}
    stream(f"{name}@production", source=topics.broker.url(topics.source),
           sink=topics.broker.url(topics.sink), group=topics.group, name=f"{name}-bench",
           workspace=workspace, stop=stop, on_ready=ready, **options)  # fmt: skip
    workspace.close()


# -- one measurement ---------------------------------------------------------------------------


def events(first: int, count: int) -> list[tuple[bytes, bytes]]:
    frame = make_frame(count, seed=first)
    return [(str(first + i).encode(), orjson.dumps(record))
            for i, record in enumerate(frame.to_dict(orient="records"))]  # fmt: skip


def saturation(broker: Broker, run: Any, count: int) -> tuple[float, float]:
    """Events/s draining ``count`` events that wait in the source, and the process's CPU
    microseconds per event meanwhile (every thread: the loop, its clients', the log's). The
    clock starts once the first batch is in (start-up, group join and model load excluded)."""
    topics = Topics(broker)
    topics.fill(events(0, count))
    stop, done = threading.Event(), Progress()
    thread = threading.Thread(target=run, args=(topics, stop, done))
    thread.start()
    while done() == 0:
        time.sleep(0.001)
    started, cpu, first = time.perf_counter(), time.process_time(), done()
    while done() < count:
        time.sleep(0.002)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stop.set()
    thread.join()
    return (count - first) / seconds, cpu / (count - first) * 1e6


def repeated(broker: Broker, loops: dict[str, Any], count: int,
             repeats: int) -> dict[str, tuple[float, float]]:  # fmt: skip
    """Median events/s and CPU µs/event of each loop over ``repeats`` runs, the loops taking
    turns (a busy machine slows both alike), after one short warm-up run each."""
    for run in loops.values():
        saturation(broker, run, min(count, 2000))
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in loops}
    for _ in range(repeats):
        for label, run in loops.items():
            samples[label].append(saturation(broker, run, count))
    return {label: (statistics.median(r for r, _ in runs), statistics.median(c for _, c in runs))
            for label, runs in samples.items()}  # fmt: skip


def latency(broker: Broker, run: Any, rate: float, seconds: float) -> tuple[float, float]:
    """p50 and p99 end-to-end latency (ms) at ``rate`` events/s."""
    topics = Topics(broker)
    stop, done, arrived = threading.Event(), Progress(), {}
    worker = threading.Thread(target=run, args=(topics, stop, done))
    worker.start()
    topics.fill(events(10_000_000, 50))  # warm-up: the group is joined when these are answered
    while done() < 50:
        time.sleep(0.01)
    reader_stop = threading.Event()
    reader = threading.Thread(target=results_reader, args=(topics, arrived, reader_stop))
    reader.start()
    send, flush = topics.writer()
    total = int(rate * seconds)
    batch = events(0, total)
    sent: dict[bytes, float] = {}
    started = time.perf_counter()
    for index, (key, value) in enumerate(batch):
        due = started + index / rate
        while (now := time.perf_counter()) < due:
            time.sleep(min(due - now, 0.001))
        sent[key] = time.perf_counter()
        send(key, value)
        if topics.broker.scheme == "redis":
            flush()
    flush()
    deadline = time.perf_counter() + 30
    while sum(1 for key in sent if key in arrived) < total and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    reader_stop.set()
    worker.join()
    reader.join()
    delays = [(arrived[key] - at) * 1000 for key, at in sent.items() if key in arrived]
    return percentile(delays, 0.5), percentile(delays, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="Events per saturation run.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of a latency run.")
    parser.add_argument("--repeats", type=int, default=3, help="Saturation runs (median kept).")
    parser.add_argument(
        "--brokers",
        nargs="+",
        choices=("kafka", "redis"),
        default=["kafka", "redis"],
        help="Brokers to measure (default: both).",
    )
    args = parser.parse_args()
    batch, wait = _worker_defaults()
    growth = _worker_option_defaults()["batch_growth"]
    print(f"Stream scoring benchmark — {environment_line()}, {args.events:,} events, "
          f"median of {args.repeats}; both loops read batches of {batch} waiting "
          f"{wait * 1000:.0f} ms (the worker's grow up to {growth}x while backlogged), with one "
          f"native thread (a worker per core)")  # fmt: skip
    threadpoolctl.threadpool_limits(limits=1)  # as the worker does: the same for both loops
    import shipyard as sy

    figures: dict[str, float] = {}
    rows = []
    started = {"kafka": start_tansu, "redis": start_redis}
    brokers = [started[scheme]() for scheme in args.brokers]
    try:
        with fresh_dir("stream") as root:
            home = root / "shipyard"
            workspace = sy.Workspace(sy.load_settings(home=home, capture_git=False))
            models = train_models()
            for name, model in models.items():
                with sy.start_run(workspace=workspace) as run:
                    run.log_model(model, name, input_example=make_frame(5, seed=1))
                sy.promote(name, 1, "production", workspace=workspace)
            workspace.close()
            for broker in brokers:
                for name, model in models.items():
                    loops = {
                        "floor": lambda t, s, d, m=model: floor_loop(t, m, s, d),
                        "shipyard": lambda t, s, d, n=name: shipyard_loop(t, home, n, s, d),
                    }
                    measured = repeated(broker, loops, args.events, args.repeats)
                    rates = {label: rate for label, (rate, _) in measured.items()}
                    rate = rates["floor"] / 2
                    for label, run in loops.items():
                        p50, p99 = latency(broker, run, rate, args.seconds)
                        key = f"{broker.scheme}_{name}_{label}"
                        figures[f"{key}_events_per_s"] = round(rates[label])
                        figures[f"{key}_cpu_us_per_event"] = round(measured[label][1], 2)
                        figures[f"{key}_p50_ms"] = round(p50, 2)
                        figures[f"{key}_p99_ms"] = round(p99, 2)
                        cpu = measured[label][1]
                        rows.append([broker.scheme, name, label, round(rates[label]),
                                     round(cpu, 1), round(rate), round(p50, 2),
                                     round(p99, 2)])  # fmt: skip
                        print(f"  {broker.scheme:6} {name:9} {label:9} {rates[label]:10,.0f} "
                              f"events/s ({cpu:.1f} µs CPU/event); at {rate:,.0f}/s "
                              f"p50 {p50:.1f} ms p99 {p99:.1f} ms", flush=True)  # fmt: skip
    finally:
        for broker in brokers:
            broker.stop()
    print_table(
        "Stream scoring (saturation events/s; latency at half the floor's rate)",
        ["broker", "model", "loop", "events/s", "CPU µs/event", "paced at", "p50 ms", "p99 ms"],
        rows,
    )
    ratios = {
        f"{scheme}_vs_floor": min(
            ratio(
                figures[f"{scheme}_{m}_shipyard_events_per_s"],
                figures[f"{scheme}_{m}_floor_events_per_s"],
            )
            for m in ("logistic", "hgb")
        )
        for scheme in args.brokers
    }
    note("ratios: shipyard events/s over the floor's, the lower of the two models per broker.")
    emit_result("stream", figures, ratios)


if __name__ == "__main__":
    main()
