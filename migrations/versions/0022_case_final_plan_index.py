"""Plans issued by date with their request dates and case ids in one index.

The stage report (where the time goes, in the monitoring pack) reads the cases whose final
plan was issued in its months, for their request dates and ids. The index on the issue date
alone sent the database to the table for each of them (about 32,000 at 100,000 cases); this
one holds all three, so they are read from the index alone. It replaces the one-column index,
which it also serves.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_case_final_plan",
        "case",
        ["final_plan_issued_on", "request_received_on", "id"],
    )
    op.drop_index("ix_case_final_plan_issued_on", table_name="case")


def downgrade():
    op.create_index("ix_case_final_plan_issued_on", "case", ["final_plan_issued_on"])
    op.drop_index("ix_case_final_plan", table_name="case")
