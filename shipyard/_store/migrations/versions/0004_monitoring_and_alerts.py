"""monitor results and alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shipyard._store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIME = shipyard._store.types.UTCDateTime(timezone=True)
_JSON = shipyard._store.types.JSONText()


def upgrade() -> None:
    op.create_table(
        "monitor_results",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("window_end", _TIME, nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("feature_drift", _JSON, nullable=False),
        sa.Column("prediction_drift", _JSON, nullable=True),
        sa.Column("data_quality", _JSON, nullable=False),
        sa.Column("performance", _JSON, nullable=True),
        sa.Column("service_health", _JSON, nullable=False),
        sa.Column("summary", _JSON, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_results")),
    )
    with op.batch_alter_table("monitor_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitor_results_deployment_end", ["deployment", "window_end"], unique=False
        )

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("active_key", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("result_id", sa.String(length=32), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("opened_at", _TIME, nullable=False),
        sa.Column("last_seen_at", _TIME, nullable=False),
        sa.Column("acknowledged_at", _TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", _TIME, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("retrain_requested_at", _TIME, nullable=True),
        sa.Column("triggered_run_id", sa.String(length=32), nullable=True),
        sa.Column("retrain_error", sa.Text(), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), nullable=False),
        sa.Column("delivery_failures", sa.Integer(), nullable=False),
        sa.Column("deliveries", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"], ["monitor_results.id"], name=op.f("fk_alerts_result_id_monitor_results")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("active_key", name=op.f("uq_alerts_active_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_deployment_state", ["deployment", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_fingerprint"), ["fingerprint"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_fingerprint"))
        batch_op.drop_index("ix_alerts_deployment_state")
    op.drop_table("alerts")
    with op.batch_alter_table("monitor_results", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_results_deployment_end")
    op.drop_table("monitor_results")
