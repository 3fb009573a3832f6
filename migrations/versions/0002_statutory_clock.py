"""The statutory clock: an exceptions ledger, decision and draft dates, reception year.

The single timescale_exception flag on a case becomes a row in case_exception; each case's
reception year is filled from its date of birth (the English school-year rule), which is
what the portal uses when no year group was recorded.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("applies_to", sa.String(length=20), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("parent_told_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["allocation.id"],
            name=op.f("fk_case_exception_allocation_id_allocation"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_exception_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"],
            name=op.f("fk_case_exception_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_exception")),
    )
    with op.batch_alter_table("case_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_exception_allocation_id"), ["allocation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_exception_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_exception_case_applies", ["case_id", "applies_to"], unique=False
        )

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reception_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_to_assess_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("draft_plan_issued_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_reception_year"), ["reception_year"])
        batch_op.create_index(batch_op.f("ix_case_setting"), ["setting"])
        batch_op.create_index(batch_op.f("ix_case_looked_after"), ["looked_after"])
        batch_op.create_index(
            "ix_case_open_by_request",
            ["request_received_on"],
            sqlite_where=sa.text("final_plan_issued_on IS NULL"),
            postgresql_where=sa.text("final_plan_issued_on IS NULL"),
        )

    bind = op.get_bind()
    case = sa.table(
        "case",
        sa.column("id", sa.Integer),
        sa.column("date_of_birth", sa.Date),
        sa.column("timescale_exception", sa.String),
        sa.column("reception_year", sa.Integer),
    )
    ledger = sa.table(
        "case_exception",
        sa.column("case_id", sa.Integer),
        sa.column("applies_to", sa.String),
        sa.column("reason", sa.String),
        sa.column("note", sa.String),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    rows = bind.execute(
        sa.select(case.c.id, case.c.date_of_birth, case.c.timescale_exception)
    ).all()
    for case_id, born, flag in rows:
        # Children born September to December start Reception the September after they turn 4.
        year = born.year + 5 if born.month >= 9 else born.year + 4
        bind.execute(case.update().where(case.c.id == case_id).values(reception_year=year))
        if flag:
            bind.execute(
                ledger.insert().values(
                    case_id=case_id,
                    applies_to="final_plan",
                    reason=flag,
                    note="Recorded before the exceptions ledger",
                    recorded_at=now,
                )
            )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("timescale_exception")


def downgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timescale_exception", sa.String(length=50), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            'UPDATE "case" SET timescale_exception = (SELECT min(reason) FROM case_exception '
            "WHERE case_exception.case_id = \"case\".id AND applies_to = 'final_plan')"
        )
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_case_open_by_request",
            sqlite_where=sa.text("final_plan_issued_on IS NULL"),
            postgresql_where=sa.text("final_plan_issued_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_case_looked_after"))
        batch_op.drop_index(batch_op.f("ix_case_setting"))
        batch_op.drop_index(batch_op.f("ix_case_reception_year"))
        batch_op.drop_column("draft_plan_issued_on")
        batch_op.drop_column("decision_to_assess_on")
        batch_op.drop_column("reception_year")
    with op.batch_alter_table("case_exception", schema=None) as batch_op:
        batch_op.drop_index("ix_case_exception_case_applies")
        batch_op.drop_index(batch_op.f("ix_case_exception_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_exception_allocation_id"))
    op.drop_table("case_exception")
