"""An index for the daily reminders: open work not yet returned, found by its due date.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_allocation_status_due_on", "allocation", ["status", "due_on"])


def downgrade():
    op.drop_index("ix_allocation_status_due_on", table_name="allocation")
