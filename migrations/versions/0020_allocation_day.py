"""The work counted by day: allocated, accepted, declined, withdrawn, stopped being outstanding
(ended) and stopped being committed spend (settled), by provider, contract, type of work and
financial year of allocation, with the sum of the prices and how many had one.

The pack's flow events, burn-down and spend each read every allocation; they now add up these
counts, kept with every allocation written (provider_portal.allocations.summary). This
migration counts the work already recorded.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

allocation = sa.table(
    "allocation",
    *(
        sa.column(name, sa.Date())
        for name in ("allocated_on", "accepted_on", "declined_on", "withdrawn_on", "returned_on")
    ),
    *(sa.column(name, sa.Integer()) for name in ("provider_id", "contract_id", "work_type_id")),
    sa.column("unit_price", sa.BigInteger()),  # pence
)
c = allocation.c


def _earliest(*columns):
    """The earliest of nullable dates, NULL when all are (as the application works it out)."""
    first, *rest = columns
    if not rest:
        return first
    later = _earliest(*rest)
    return sa.case(
        (first.is_(None), later), (later.is_(None), first), (first <= later, first), else_=later
    )


def _counted():
    """As the application counts them (allocations.summary.source), written out here so that
    this migration keeps meaning what it meant when it ran."""
    parts = [("allocated", c.allocated_on, c.allocated_on)]
    parts += [(kind, day, day) for kind, day in (
        ("accepted", c.accepted_on), ("declined", c.declined_on), ("withdrawn", c.withdrawn_on)
    )]
    for kind, columns in (
        ("ended", (c.returned_on, c.withdrawn_on, c.declined_on)),
        ("settled", (c.accepted_on, c.withdrawn_on, c.declined_on)),
    ):
        stopped = _earliest(*columns)
        later = sa.case((stopped < c.allocated_on, c.allocated_on), else_=stopped)
        parts.append((kind, later, stopped))
    each = sa.union_all(
        *(
            sa.select(
                sa.literal(kind).label("kind"),
                day.label("day"),
                c.provider_id,
                sa.func.coalesce(c.contract_id, 0).label("contract_id"),
                c.work_type_id,
                sa.cast(
                    sa.case(
                        (
                            sa.extract("month", c.allocated_on) >= 4,
                            sa.extract("year", c.allocated_on),
                        ),
                        else_=sa.extract("year", c.allocated_on) - 1,
                    ),
                    sa.Integer,
                ).label("allocated_year"),
                c.unit_price.label("price"),
            ).where(present.is_not(None))
            for kind, day, present in parts
        )
    ).subquery("each")
    key = (
        each.c.kind,
        each.c.day,
        each.c.provider_id,
        each.c.contract_id,
        each.c.work_type_id,
        each.c.allocated_year,
    )
    priced = sa.func.sum(sa.case((each.c.price.is_not(None), 1), else_=0))
    total = sa.func.coalesce(sa.func.sum(each.c.price), 0)
    return sa.select(*key, sa.func.count(), total, priced).group_by(*key)


def upgrade():
    op.create_table(
        "allocation_day",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("allocated_year", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("priced", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind",
            "day",
            "provider_id",
            "contract_id",
            "work_type_id",
            "allocated_year",
            name=op.f("pk_allocation_day"),
        ),
    )
    columns = ("kind", "day", "provider_id", "contract_id", "work_type_id", "allocated_year")
    columns += ("count", "amount", "priced")
    table = sa.table("allocation_day", *(sa.column(name) for name in columns))
    op.execute(table.insert().from_select(list(columns), _counted()))


def downgrade():
    op.drop_table("allocation_day")
