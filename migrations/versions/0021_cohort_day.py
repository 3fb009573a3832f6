"""The cohort's counts: the work allocated each month, counted by the day it was allocated, left
the cohort (withdrawn or declined, by its status), came back, and both, by provider, contract
and type of work.

The pack's cohort and the monthly report read every allocation in their months; they now add
up these counts, kept with every allocation written (provider_portal.allocations.summary).
This migration counts the work already recorded.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

allocation = sa.table(
    "allocation",
    *(
        sa.column(name, sa.Date())
        for name in ("allocated_on", "declined_on", "withdrawn_on", "returned_on")
    ),
    *(sa.column(name, sa.Integer()) for name in ("provider_id", "contract_id", "work_type_id")),
    sa.column("status", sa.String()),
)
c = allocation.c
KEY = ("allocated_month", "kind", "day", "provider_id", "contract_id", "work_type_id")


def _counted():
    """As the application counts them (allocations.summary.cohort_source), written out here so
    that this migration keeps meaning what it meant when it ran."""

    def not_before_allocation(day):
        return sa.case((day < c.allocated_on, c.allocated_on), else_=day)

    left_on = sa.case(
        (c.status == "withdrawn", sa.func.coalesce(c.withdrawn_on, c.allocated_on)),
        (c.status == "declined", sa.func.coalesce(c.declined_on, c.allocated_on)),
        else_=None,
    )
    left = not_before_allocation(left_on)
    returned = not_before_allocation(c.returned_on)
    both = sa.case((left < returned, returned), else_=left)
    parts = [
        ("allocated", c.allocated_on, c.allocated_on.is_not(None)),
        ("left", left, left_on.is_not(None)),
        ("returned", returned, c.returned_on.is_not(None)),
        ("returned_left", both, left_on.is_not(None) & c.returned_on.is_not(None)),
    ]
    month = sa.cast(
        sa.extract("year", c.allocated_on) * 100 + sa.extract("month", c.allocated_on), sa.Integer
    )
    each = sa.union_all(
        *(
            sa.select(
                month.label("allocated_month"),
                sa.literal(kind).label("kind"),
                day.label("day"),
                c.provider_id,
                sa.func.coalesce(c.contract_id, 0).label("contract_id"),
                c.work_type_id,
            ).where(present)
            for kind, day, present in parts
        )
    ).subquery("each")
    key = [each.c[name] for name in KEY]
    return sa.select(*key, sa.func.count()).group_by(*key)


def upgrade():
    op.create_table(
        "cohort_day",
        sa.Column("allocated_month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_cohort_day")),
    )
    table = sa.table("cohort_day", *(sa.column(name) for name in (*KEY, "count")))
    op.execute(table.insert().from_select([*KEY, "count"], _counted()))


def downgrade():
    op.drop_table("cohort_day")
