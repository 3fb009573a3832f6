"""The board keeps its statements from one request to the next (building them cost a third of
a board request's time in Python), but never one that holds what was searched for, and never
past the day they were built for."""

from __future__ import annotations

from datetime import date, timedelta

from freezegun import freeze_time

from provider_portal.cases.board import queries
from provider_portal.cases.board.queries import BoardFilters, board_page
from provider_portal.extensions import db
from provider_portal.models import Case, WorkType


def _case(ref: str, requested: date) -> None:
    db.session.add(
        Case(
            case_ref=ref,
            first_name="Robin",
            last_name=f"Kept{ref}",
            date_of_birth=date(2015, 5, 1),
            request_received_on=requested,
        )
    )
    db.session.commit()


def _refs(filters: BoardFilters, page: int = 1) -> list[str]:
    work_types = list(db.session.scalars(db.select(WorkType)))
    result = board_page(filters, date.today(), page, work_types)
    return [row.case.case_ref for row in result.items]


def test_the_same_board_twice_builds_its_statements_once(app):
    with freeze_time("2025-03-03"):
        _case("K1", date(2024, 9, 2))
        queries._kept_statements.cache_clear()
        queries._kept_page.cache_clear()
        assert _refs(BoardFilters()) == ["K1"]
        assert _refs(BoardFilters()) == ["K1"]
        assert queries._kept_statements.cache_info().hits >= 1
        assert queries._kept_page.cache_info().hits == 1
        # The statements hold no data: a case added since shows at once.
        _case("K2", date(2024, 9, 9))
        assert _refs(BoardFilters()) == ["K1", "K2"]


def test_words_typed_in_a_box_are_never_kept(app):
    with freeze_time("2025-03-03"):
        _case("S1", date(2024, 9, 2))
        queries._kept_statements.cache_clear()
        queries._kept_page.cache_clear()
        assert _refs(BoardFilters(q="keptS1")) == ["S1"]
        assert _refs(BoardFilters(setting="nowhere")) == []
        assert queries._kept_statements.cache_info().currsize == 0
        assert queries._kept_page.cache_info().currsize == 0


def test_kept_statements_are_for_the_day_they_were_built(app):
    """Today's board leaves out cases with a final plan by a condition only true of today
    (open_on): the next day's board is built again, not read from the day before's."""
    with freeze_time("2025-03-03 23:59:00"):
        _case("D1", date(2024, 9, 2))
        queries._kept_statements.cache_clear()
        assert _refs(BoardFilters()) == ["D1"]
    with freeze_time("2025-03-04 00:01:00"):
        assert _refs(BoardFilters()) == ["D1"]
        assert queries._kept_statements.cache_info().currsize == 2
    # A case received on 3 October passes 20 weeks' window of the board on the new day only
    # when the statements' dates moved on with it.
    with freeze_time("2025-03-04 00:02:00"):
        last = date(2025, 3, 4) + timedelta(weeks=BoardFilters().window_weeks) - timedelta(days=140)
        _case("D2", last)
        assert _refs(BoardFilters()) == ["D1", "D2"]
