"""An index that holds everything the backlog board reads for its phase-transfer group.

The board's second group (children whose phase-transfer deadline falls within 12 weeks,
cases.board.queries._page_ids) is found by reception year among open cases. With the setting
type, request date, looked-after flag, closing date and id in one partial index of open cases,
the database reads that group from the index alone instead of fetching every open case of
those reception years from the table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN_CASES = sa.text("final_plan_issued_on IS NULL")
COLUMNS = [
    "reception_year",
    "setting_type",
    "request_received_on",
    "looked_after",
    "closed_on",
    "id",
]


def upgrade():
    op.create_index(
        "ix_case_open_by_reception_year",
        "case",
        COLUMNS,
        sqlite_where=OPEN_CASES,
        postgresql_where=OPEN_CASES,
    )


def downgrade():
    op.drop_index("ix_case_open_by_reception_year", table_name="case")
