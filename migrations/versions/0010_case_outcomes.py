"""The whole case record: outcomes, setting type, anchored year groups, remembered import columns.

A case can now close without a plan (refused to assess, decided not to issue, withdrawn by the
family, moved out of the area, ceased), and each outcome records who recorded it. The setting
type decides phase transfers; year_group_as_of anchors a year group to the date it was recorded.
Work types say whether they are advice under reg 8, and each advice item keeps its statutory
due date beside the contract's (6 weeks from the request for advice, moved by the days its
advice exceptions cover, those already recorded included). import_mapping keeps, per user, how
the columns of a file with given headers were matched.

Existing cases keep their meaning: nothing is closed by this migration, and a case with a
decision date is taken to have been agreed for assessment (the only decision the portal could
record before).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_RECORDED_BY = (
    "decision_recorded_by_id",
    "issue_decision_recorded_by_id",
    "draft_plan_recorded_by_id",
    "final_plan_recorded_by_id",
    "closed_by_id",
)


def upgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment_decision", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("issue_decision", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("issue_decision_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "family_agreed_early_final",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("ceased_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("setting_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("year_group_as_of", sa.Date(), nullable=True))
        for column in _RECORDED_BY:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_case_{column}_user_account"), "user_account", [column], ["id"]
            )
        batch_op.create_index(batch_op.f("ix_case_closed_on"), ["closed_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_issue_decision_on"), ["issue_decision_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_decision_to_assess_on"), ["decision_to_assess_on"], unique=False
        )
    op.execute(
        "UPDATE \"case\" SET assessment_decision = 'agreed' WHERE decision_to_assess_on IS NOT NULL"
    )

    # Which work types are advice under reg 8 (6 weeks from the request for advice), and each
    # advice item's statutory due date, kept beside the contract's own due date (due_on).
    with op.batch_alter_table("work_type", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_advice", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE work_type SET is_advice = true WHERE code LIKE '%advice'")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statutory_due_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_allocation_statutory_due_on"), ["statutory_due_on"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        six_weeks_after = "allocated_on + 42"
    else:
        six_weeks_after = "date(allocated_on, '+42 days')"
    op.execute(
        f"UPDATE allocation SET statutory_due_on = {six_weeks_after} WHERE work_type_id IN "
        "(SELECT id FROM work_type WHERE is_advice = true)"
    )

    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("headers_key", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_import_mapping_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint(
            "user_id", "kind", "headers_key", name=op.f("uq_import_mapping_user_id")
        ),
    )

    _move_advice_by_its_exceptions()


def _move_advice_by_its_exceptions():
    """Advice already recorded with advice exceptions: its statutory date moves by their days.

    The same rule the portal applies when an exception is recorded
    (timescales.advice_statutory_due); a period with no end date counts up to the day the advice
    came back, or, for advice still out, up to the day of this migration.
    """
    from provider_portal.timescales import advice_statutory_due, today

    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT a.id, a.allocated_on, a.returned_on, e.starts_on, e.ends_on "
            "FROM allocation a JOIN work_type w ON w.id = a.work_type_id "
            "JOIN case_exception e ON e.allocation_id = a.id "
            "WHERE w.is_advice = true AND e.applies_to = 'advice' AND e.starts_on IS NOT NULL "
            "ORDER BY a.id"
        )
    ).all()
    items = {}
    for allocation_id, allocated_on, returned_on, starts_on, ends_on in rows:
        item = items.setdefault(allocation_id, (_day(allocated_on), _day(returned_on), []))
        item[2].append((_day(starts_on), _day(ends_on)))
    for allocation_id, (allocated_on, returned_on, periods) in items.items():
        due = advice_statutory_due(allocated_on, periods, returned_on or today())
        connection.execute(
            sa.text("UPDATE allocation SET statutory_due_on = :due WHERE id = :id"),
            {"due": due, "id": allocation_id},
        )


def _day(value):
    """A date as the driver gives it back: SQLite's are ISO text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def downgrade():
    op.drop_table("import_mapping")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_statutory_due_on"))
        batch_op.drop_column("statutory_due_on")
    with op.batch_alter_table("work_type", schema=None) as batch_op:
        batch_op.drop_column("is_advice")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_decision_to_assess_on"))
        batch_op.drop_index(batch_op.f("ix_case_issue_decision_on"))
        batch_op.drop_index(batch_op.f("ix_case_closed_on"))
        for column in reversed(_RECORDED_BY):
            batch_op.drop_constraint(
                batch_op.f(f"fk_case_{column}_user_account"), type_="foreignkey"
            )
            batch_op.drop_column(column)
        for column in (
            "year_group_as_of",
            "setting_type",
            "ceased_reason",
            "closed_reason",
            "closed_on",
            "family_agreed_early_final",
            "issue_decision_on",
            "issue_decision",
            "assessment_decision",
        ):
            batch_op.drop_column(column)
