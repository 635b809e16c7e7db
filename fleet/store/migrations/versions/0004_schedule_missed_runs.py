"""Patrol schedules keep count of their missed runs, so an operator sees them without the log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedules", sa.Column("missed_runs", sa.Integer, nullable=False,
                                         server_default="0"))
    op.add_column("schedules", sa.Column("last_missed_at", sa.DateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("last_missed_at")
        batch.drop_column("missed_runs")
