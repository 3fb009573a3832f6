"""Every figure strictly as of its date: a published table reads the same after later events.

The board paper's table (the demo data, as of 2 December 2024) is the published one: a piece
of November's work withdrawn on 20 December must not turn 98 into 97 when the table is run
again as of 2 December.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.allocations.services import withdraw
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus
from provider_portal.reports.monthly.queries import csv_rows, monthly_report
from provider_portal.reports.pack.figures import build_pack
from provider_portal.reports.scope import Scope
from tests.helpers import query_plan

AUGUST, NOVEMBER = date(2024, 8, 1), date(2024, 11, 1)
PUBLISHED = date(2024, 12, 2)


def _tables() -> tuple[list[tuple[str, int, int, int]], list[tuple[object, ...]]]:
    """The monthly table and the pack's cohort tables (all work) as of the published date."""
    monthly = csv_rows(monthly_report(AUGUST, NOVEMBER, PUBLISHED))
    pack = build_pack(Scope(), AUGUST, NOVEMBER, PUBLISHED)
    cohort = [(r.month, r.allocated, r.returned) for r in [*pack.cohort, pack.cohort_total]]
    by_type = [(r.month, r.work_type, r.allocated, r.returned) for r in pack.cohort_by_work_type]
    return monthly, [*cohort, *by_type]


def test_a_withdrawal_after_the_published_date_leaves_the_table_alone(app: Flask) -> None:
    with freeze_time("2024-11-28 10:00:00"):
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    before = _tables()
    # The table the board saw on 2 December (and the golden copy holds).
    assert before[0] == [
        ("2024-08", 38, 38, 0),
        ("2024-09", 74, 59, 15),
        ("2024-10", 85, 56, 29),
        ("2024-11", 98, 5, 93),
        ("Total", 295, 158, 137),
    ]
    piece = db.session.scalar(
        select(Allocation)
        .where(
            Allocation.allocated_on >= NOVEMBER,
            Allocation.status == AllocationStatus.ALLOCATED,
        )
        .order_by(Allocation.id)
        .limit(1)
    )
    assert piece is not None
    with freeze_time("2024-12-20 09:00:00"):
        withdraw(piece, "Family moved away", actor=None, withdrawn_on=date(2024, 12, 20))
        db.session.commit()
    assert _tables() == before
    # As of the day of the withdrawal it is gone from November's work.
    later = csv_rows(monthly_report(AUGUST, NOVEMBER, date(2024, 12, 20)))
    assert later[3][1] == 97


@pytest.fixture
def november(make):
    """Four pieces allocated in November 2024: one open, one withdrawn on 2 December (the
    as-of date), one withdrawn on 3 December, one declined on 5 December; one allocated on
    3 December (after the as-of date)."""
    make.allocation(allocated_on=date(2024, 11, 4))
    make.allocation(
        allocated_on=date(2024, 11, 5),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2024, 12, 2),
    )
    make.allocation(
        allocated_on=date(2024, 11, 6),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2024, 12, 3),
    )
    make.allocation(
        allocated_on=date(2024, 11, 7),
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 12, 5),
        decline_reason="No capacity",
    )
    make.allocation(allocated_on=date(2024, 12, 3))


@pytest.mark.parametrize(
    ("as_of", "allocated"),
    [
        (date(2024, 11, 30), 4),  # nothing withdrawn or declined yet
        (date(2024, 12, 2), 3),  # withdrawn on the as-of date: gone
        (date(2024, 12, 3), 2),
        (date(2024, 12, 4), 2),
        (date(2024, 12, 5), 1),  # declined on the as-of date: gone
    ],
)
def test_withdrawn_and_declined_work_counts_until_the_day_it_went(november, as_of, allocated):
    report = monthly_report(NOVEMBER, date(2024, 12, 1), as_of)
    assert report.rows[0].allocated == allocated
    # December's piece was allocated on 3 December: not yet allocated on 2 December.
    assert report.rows[1].allocated == (0 if as_of < date(2024, 12, 3) else 1)


def test_the_pack_cohort_is_as_of_its_date_too(november):
    pack = build_pack(Scope(), NOVEMBER, NOVEMBER, date(2024, 12, 2))
    assert pack.cohort[0].allocated == 3
    assert [(r.allocated, r.returned) for r in pack.cohort_by_work_type] == [(3, 0), (3, 0)]


def test_withdrawn_work_with_no_date_stays_out(make):
    """Older records may say withdrawn without a date: they were left out and still are."""
    make.allocation(allocated_on=date(2024, 11, 4))
    make.allocation(allocated_on=date(2024, 11, 5), status=AllocationStatus.WITHDRAWN)
    make.allocation(allocated_on=date(2024, 11, 6), status=AllocationStatus.DECLINED)
    assert monthly_report(NOVEMBER, NOVEMBER, date(2024, 12, 2)).total.allocated == 1


def test_the_cohort_query_still_reads_an_index_on_the_allocation_date(make):
    """ix_allocation_cohort (allocated_on, status, returned_on) still serves the range; with
    the withdrawal and decline dates read for the few rows that need them."""
    from provider_portal.reports.monthly.queries import _cohort_query

    make.allocation(allocated_on=date(2024, 11, 4))
    query = _cohort_query(NOVEMBER, NOVEMBER, PUBLISHED, None, None, None)
    plan = query_plan(db.session.connection(), query)
    db.session.rollback()
    assert "ix_allocation_cohort" in plan or "ix_allocation_allocated_on" in plan, plan
