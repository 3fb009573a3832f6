"""The board's pages come from its three priority groups (_page_ids) in exactly the order of
the whole board sorted at once (ordered_board_query), on every page and with every filter."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from provider_portal.cases.board.queries import BoardFilters, _page_ids, ordered_board_query
from provider_portal.extensions import db
from provider_portal.models import Case
from provider_portal.timescales import TRANSFERS_BY_SETTING_TYPE, today

SETTING_TYPES = [*TRANSFERS_BY_SETTING_TYPE, None, None, "unknown"]


def _random_cases(seed: int, n: int) -> None:
    chance = random.Random(seed)
    for i in range(n):
        db.session.add(
            Case(
                case_ref=f"BP{seed}-{i:03d}",
                first_name="Sam",
                last_name=f"Order{i}",
                date_of_birth=date(2014, 1, 1),
                looked_after=chance.random() < 0.1,
                reception_year=chance.choice([None, *range(2010, 2026)]),
                setting_type=chance.choice(SETTING_TYPES),
                # Few distinct dates, so the ties are decided by the deadline and the id.
                request_received_on=date(2023, 9, 1) + timedelta(days=chance.randrange(0, 400, 7)),
                closed_on=date(2024, 6, 1) if chance.random() < 0.05 else None,
            )
        )
    db.session.commit()


FILTERS = [
    BoardFilters(),
    BoardFilters(window_weeks=0),
    BoardFilters(flags=frozenset({"phase_transfer"})),
    BoardFilters(flags=frozenset({"looked_after"})),
    BoardFilters(band="over_26"),
    BoardFilters(q="order1"),
]


@pytest.mark.parametrize(
    "as_of",
    # Before and inside the Reception/Year 7 window (15 Feb), and inside Year 12's (31 March).
    ["2024-12-01", "2025-01-20", "2025-03-10"],
)
def test_every_page_is_the_board_in_order(app, as_of):
    with freeze_time(as_of):
        _random_cases(seed=len(as_of) + int(as_of[-2:]), n=240)
        day = today()
        for filters in FILTERS:
            board = list(
                db.session.scalars(ordered_board_query(filters, day).with_only_columns(Case.id))
            )
            for offset, limit in [
                (0, 50),
                (0, 7),
                (7, 7),
                (21, 13),
                (100, 50),
                (len(board) - 3, 10),
            ]:
                page = list(db.session.scalars(_page_ids(filters, day, max(offset, 0), limit)))
                assert page == board[max(offset, 0) : max(offset, 0) + limit], (filters, offset)
        assert len(board) > 0
