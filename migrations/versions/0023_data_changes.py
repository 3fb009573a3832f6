"""The count of changes to the data the reports are worked out from.

Each transaction that writes to a table the monitoring pack reads adds one to a count, kept
on a few rows (provider_portal.changes), so a kept pack is known to be current from the
count's sum instead of a read of every allocation and case. It starts empty: nothing is kept
across the restart that follows a migration.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_changes",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_data_changes")),
    )


def downgrade():
    op.drop_table("data_changes")
