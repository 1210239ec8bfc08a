"""audit hash chain and observed origins, four-eyes policies, run liveness

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 23:00:00

Adds the hash chain to ``audit_events`` (and chains the events already there, oldest first),
the ``audit_head`` row, the observed origin of events and approvals, the four-eyes flag of
promotion policies, and the host, pid, process start time and heartbeat of runs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shipyard._store.types
from shipyard._store.audit_chain import chain_existing

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = shipyard._store.types.UTCDateTime(timezone=True)
_JSON = shipyard._store.types.JSONText()


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", _JSON, nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", _JSON, nullable=True))
    with op.batch_alter_table("promotion_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approval_distinct", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("process_start", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", _TIME, nullable=True))
    chain_existing(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("process_start")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
    with op.batch_alter_table("promotion_policies", schema=None) as batch_op:
        batch_op.drop_column("approval_distinct")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_column("origin")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("origin")
