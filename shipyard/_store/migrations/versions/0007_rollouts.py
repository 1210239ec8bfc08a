"""rollouts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shipyard._store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TIME = shipyard._store.types.UTCDateTime(timezone=True)
_JSON = shipyard._store.types.JSONText()


def upgrade() -> None:
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("deployment", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.Column("stable_version", sa.Integer(), nullable=False),
        sa.Column("canary_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active_key", sa.String(length=200), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("state", _JSON, nullable=False),
        sa.Column("history", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("step_started_at", _TIME, nullable=False),
        sa.Column("heartbeat_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollouts")),
        sa.UniqueConstraint("active_key", name=op.f("uq_rollouts_active_key")),
    )
    with op.batch_alter_table("rollouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollouts_deployment_started", ["deployment", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rollouts_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rollouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollouts_status"))
        batch_op.drop_index("ix_rollouts_deployment_started")
    op.drop_table("rollouts")
