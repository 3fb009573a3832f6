"""An index that covers the monthly cohort report.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_allocation_cohort", ["allocated_on", "status", "returned_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_cohort")
