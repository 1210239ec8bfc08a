"""A metric's history downsampled in the database: the points are grouped into at most
``buckets`` equal ranges of the x axis (step or time), and each range keeps its first x, its
lowest, highest and last-logged value and its count. A million-point series thus crosses the
wire as a few thousand numbers and still shows every spike (min/max per bucket)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select

from shipyard._store.database import Database
from shipyard._store.records import MetricSeries
from shipyard._store.tables import Metric

XAxis = Literal["step", "time"]


def metric_series(
    db: Database, run_id: str, key: str, *, buckets: int, x_axis: XAxis = "step"
) -> MetricSeries:
    """The series of ``key`` in ``run_id`` in at most ``buckets`` buckets (all points, each
    its own bucket, when there are no more than that)."""
    x = Metric.step if x_axis == "step" else Metric.timestamp
    where = (Metric.run_id == run_id, Metric.key == key)
    with db.read() as session:
        # Two seeks at the ends of the (run_id, key, step) index for steps; the count comes
        # with the buckets, so the points are read once.
        low_x, high_x = session.execute(
            select(
                select(func.min(x)).where(*where).scalar_subquery(),
                select(func.max(x)).where(*where).scalar_subquery(),
            )
        ).one()
        if low_x is None:
            return MetricSeries(run_id, key, x_axis, 0, (), (), (), ())
        span = int(high_x) - int(low_x) + 1
        width = max(1, -(-span // buckets))  # ceil: at most `buckets` buckets over the span
        bucket = ((x - int(low_x)) // width).label("bucket")  # integer division in SQL
        last_id = func.max(Metric.id).label("last_id")
        grouped = (
            select(
                bucket,
                func.min(x),
                func.min(Metric.value),
                func.max(Metric.value),
                last_id,
                func.count().label("points"),
            )
            .where(*where)
            .group_by(bucket)
            .subquery()
        )
        rows = session.execute(
            select(grouped.c[1], grouped.c[2], grouped.c[3], Metric.value, grouped.c.points)
            .join(Metric, Metric.id == grouped.c.last_id)
            .order_by(grouped.c.bucket)
        ).all()
    return MetricSeries(
        run_id,
        key,
        x_axis,
        sum(int(row[4]) for row in rows),
        tuple(float(row[0]) for row in rows),
        tuple(float(row[1]) for row in rows),
        tuple(float(row[2]) for row in rows),
        tuple(float(row[3]) for row in rows),
    )
