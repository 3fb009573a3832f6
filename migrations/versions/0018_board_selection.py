"""The backlog board's ticked cases, one row a tick, instead of a list in the session cookie.

Every response sent the whole session cookie back, so a filter answered after a tick had been
saved, or two ticks sent at once, could put back the selection as it was before the tick.
Rows for each tick cannot undo each other, and every server sees them. Selections in cookies
signed before this migration are not carried over: those users tick again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "board_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
            name=op.f("fk_board_selection_case_id_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_board_selection_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_selection")),
        sa.UniqueConstraint("user_id", "case_id", name=op.f("uq_board_selection_user_id")),
    )


def downgrade():
    op.drop_table("board_selection")
