"""paginate(): one COUNT and one page query, pages clamped, the page turned into links."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Case
from provider_portal.pagination import PAGE_SIZE, Page, page_window, paginate, paginate_rows


@pytest.mark.parametrize(
    ("total", "asked", "page", "pages"),
    [
        (0, 1, 1, 1),  # nothing to list is still one (empty) page
        (0, 5, 1, 1),
        (1, 1, 1, 1),
        (50, 1, 1, 1),
        (51, 2, 2, 2),
        (100, 2, 2, 2),
        (101, 3, 3, 3),
        (101, 99, 3, 3),  # past the end: the last page
        (101, 0, 1, 3),  # before the start: the first
        (101, -4, 1, 3),
    ],
)
def test_page_window_clamps(total, asked, page, pages):
    assert page_window(total, asked, PAGE_SIZE) == (page, pages)


def test_previous_and_next_pages():
    first = Page(items=[1], page=1, pages=3, total=101)
    middle = Page(items=[1], page=2, pages=3, total=101)
    last = Page(items=[1], page=3, pages=3, total=101)
    only = Page(items=[], page=1, pages=1, total=0)
    assert (first.previous_page, first.next_page) == (None, 2)
    assert (middle.previous_page, middle.next_page) == (1, 3)
    assert (last.previous_page, last.next_page) == (2, None)
    assert (only.previous_page, only.next_page) == (None, None)


def test_map_keeps_the_numbers():
    page = Page(items=[1, 2], page=2, pages=5, total=202, per_page=2)
    assert page.map(str) == Page(items=["1", "2"], page=2, pages=5, total=202, per_page=2)


def _selects(statements: list[str]) -> list[str]:
    """The SELECTs run (SQLite also logs its BEGIN)."""
    return [s.lower() for s in statements if s.lstrip().upper().startswith("SELECT")]


def _cases(n: int) -> None:
    for i in range(n):
        db.session.add(
            Case(
                case_ref=f"PG{i:03d}",
                first_name="Pat",
                last_name=f"Page{i}",
                date_of_birth=date(2015, 1, 1),
                request_received_on=date(2024, 1, 1),
            )
        )
    db.session.commit()


def test_paginate_counts_and_slices_in_sql(count_queries):
    _cases(7)
    query = select(Case).where(Case.case_ref.like("PG%")).order_by(Case.case_ref)
    count_queries.clear()
    page = paginate(query, 2, per_page=3)
    counted, listed = _selects(count_queries)  # the COUNT and the page, nothing else
    assert "count(" in counted and "order by" not in counted
    assert "limit" in listed and "offset" in listed
    assert [case.case_ref for case in page.items] == ["PG003", "PG004", "PG005"]
    assert (page.page, page.pages, page.total, page.per_page) == (2, 3, 7, 3)
    last = paginate(query, 99, per_page=3)
    assert [case.case_ref for case in last.items] == ["PG006"]
    assert last.page == 3


def test_a_page_skips_rows_as_ids_only(count_queries):
    """The skipped rows are passed over in a subquery of ids; only the page's rows are read."""
    _cases(7)
    query = select(Case).where(Case.case_ref.like("PG%")).order_by(Case.last_name.desc())
    count_queries.clear()
    page = paginate(query, 3, per_page=2)
    _counted, listed = _selects(count_queries)
    outer, inner = listed.split("in (select", 1)
    assert "offset" not in outer and "limit" not in outer
    selected = inner.split("from", 1)[0]
    assert "id" in selected and "last_name" not in selected
    assert "offset" in inner
    assert [case.case_ref for case in page.items] == ["PG002", "PG001"]


def test_a_page_from_ids_given_by_the_list(count_queries):
    """A list can say how to find one page's ids (the board does); the rows come in the
    list's own order, with the count as before."""
    _cases(7)
    query = select(Case).where(Case.case_ref.like("PG%")).order_by(Case.case_ref)

    def page_ids(offset: int, limit: int):
        return select(Case.id).order_by(Case.case_ref).limit(limit).offset(offset)

    page = paginate(query, 2, per_page=3, page_ids=page_ids)
    assert [case.case_ref for case in page.items] == ["PG003", "PG004", "PG005"]
    assert (page.page, page.pages, page.total) == (2, 3, 7)


def test_paginate_rows_with_its_own_count(count_queries):
    _cases(PAGE_SIZE + 2)
    query = select(Case.case_ref, Case.last_name).order_by(Case.case_ref.desc())
    count = select(func.count(Case.id))
    count_queries.clear()
    page = paginate_rows(query, 1, count=count)
    counted, listed = _selects(count_queries)
    assert "from (" not in counted  # the count given, not a subquery of the rows
    assert "limit" in listed
    assert tuple(page.items[0]) == (f"PG{PAGE_SIZE + 1:03d}", f"Page{PAGE_SIZE + 1}")
    assert (len(page.items), page.page, page.pages, page.total) == (PAGE_SIZE, 1, 2, PAGE_SIZE + 2)
    last = paginate_rows(query, 7, count=count)
    assert [tuple(row) for row in last.items] == [("PG001", "Page1"), ("PG000", "Page0")]
    assert last.page == 2


def test_an_empty_list_is_one_empty_page():
    page = paginate(select(Case).where(Case.case_ref == "nobody"), 3)
    assert (page.items, page.page, page.pages, page.total) == ([], 1, 1, 0)


def _nav(app, page: Page[int], args: dict[str, object]) -> BeautifulSoup:
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "components/macros.html" import pagination %}'
            '{{ pagination(result, "cases.index", args) }}'
        )
        return BeautifulSoup(template.render(result=page, args=args), "html.parser")


def test_pagination_links_keep_the_filters(app):
    nav = _nav(app, Page(items=[1], page=2, pages=3, total=101), {"q": "smith", "page": "2"})
    assert nav.select_one(".govuk-pagination__prev a")["href"] == "/cases?q=smith&page=1"
    assert nav.select_one(".govuk-pagination__next a")["href"] == "/cases?q=smith&page=3"
    assert nav.select_one(".govuk-pagination__item--current").get_text() == "Page 2 of 3"


def test_pagination_at_the_ends_and_on_one_page(app):
    first = _nav(app, Page(items=[1], page=1, pages=2, total=60), {})
    assert first.select_one(".govuk-pagination__prev") is None
    assert first.select_one(".govuk-pagination__next a")["href"] == "/cases?page=2"
    last = _nav(app, Page(items=[1], page=2, pages=2, total=60), {})
    assert last.select_one(".govuk-pagination__next") is None
    assert _nav(app, Page(items=[1], page=1, pages=1, total=1), {}).select_one("nav") is None


def test_pagination_of_a_posted_search_posts_its_form_again(app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "components/macros.html" import pagination %}'
            '{{ pagination(result, "cases.index", {}, form="case-filters") }}'
        )
        html = template.render(result=Page(items=[1], page=2, pages=3, total=101))
    nav = BeautifulSoup(html, "html.parser")
    assert nav.find("a") is None  # no link could carry the search
    buttons = nav.select(".govuk-pagination__link")
    assert [(b.name, b["form"], b["name"], b["value"]) for b in buttons] == [
        ("button", "case-filters", "page", "1"),
        ("button", "case-filters", "page", "3"),
    ]
