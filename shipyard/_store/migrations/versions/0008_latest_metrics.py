"""each run's latest metrics, for searching runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:00:00

Adds ``latest_metrics``: each run's metrics at their highest step (the newest point on a tie),
which ``search_runs`` filters, sorts and shows instead of reading every metric's history. A
trigger on ``metrics`` keeps it up to date whoever inserts (on PostgreSQL one statement-level
trigger per insert, so a batch of points costs one upsert); the upgrade fills it from the
metrics already stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SQLITE_TRIGGER = """
CREATE TRIGGER tr_metrics_latest AFTER INSERT ON metrics
BEGIN
    INSERT INTO latest_metrics (run_id, key, value, step)
    VALUES (NEW.run_id, NEW.key, NEW.value, NEW.step)
    ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step
    WHERE excluded.step >= latest_metrics.step;
END
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION shipyard_metrics_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO latest_metrics (run_id, key, value, step)
    SELECT DISTINCT ON (run_id, key) run_id, key, value, step
    FROM inserted_metrics ORDER BY run_id, key, step DESC, id DESC
    ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, step = EXCLUDED.step
    WHERE EXCLUDED.step >= latest_metrics.step;
    RETURN NULL;
END
$$
"""

_POSTGRES_TRIGGER = """
CREATE TRIGGER tr_metrics_latest AFTER INSERT ON metrics
REFERENCING NEW TABLE AS inserted_metrics
FOR EACH STATEMENT EXECUTE FUNCTION shipyard_metrics_latest()
"""

# The value at the highest step of each (run, key); the newest point (highest id) on a tie.
_BACKFILL = """
INSERT INTO latest_metrics (run_id, key, value, step)
SELECT m.run_id, m.key, m.value, m.step
FROM metrics m
JOIN (
    SELECT p.run_id, p.key, MAX(p.id) AS id
    FROM metrics p
    JOIN (SELECT run_id, key, MAX(step) AS step FROM metrics GROUP BY run_id, key) top
      ON p.run_id = top.run_id AND p.key = top.key AND p.step = top.step
    GROUP BY p.run_id, p.key
) newest ON m.id = newest.id
"""


def upgrade() -> None:
    op.create_table(
        "latest_metrics",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_latest_metrics_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "key", name=op.f("pk_latest_metrics")),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.execute(_BACKFILL)
    if _postgresql():
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)
    else:  # a B-tree entry on PostgreSQL cannot hold a 6000-character param value
        op.create_index("ix_params_key_value", "params", ["key", "value"])
        op.create_index("ix_tags_key_value", "tags", ["key", "value"])
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER tr_metrics_latest ON metrics")
        op.execute("DROP FUNCTION shipyard_metrics_latest()")
    else:
        op.execute("DROP TRIGGER tr_metrics_latest")
        op.drop_index("ix_tags_key_value", table_name="tags")
        op.drop_index("ix_params_key_value", table_name="params")
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")
    op.drop_table("latest_metrics")


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")
