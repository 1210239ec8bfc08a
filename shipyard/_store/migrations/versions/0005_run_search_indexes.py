"""indexes for searching runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_start_time_id", "runs", ["start_time", "id"], unique=False)
    op.create_index("ix_params_key", "params", ["key"], unique=False)
    op.create_index("ix_tags_key", "tags", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tags_key", table_name="tags")
    op.drop_index("ix_params_key", table_name="params")
    op.drop_index("ix_runs_start_time_id", table_name="runs")
