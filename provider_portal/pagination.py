"""One page of a list: one COUNT and one query for the page, whatever the size of the list.

Every list page reads its rows through paginate(): the query comes ordered and with its eager
loading options, so the page costs the same number of queries on page 1 and page 2,000. The
template turns a Page into links with the pagination macro (templates/components/macros.html),
so nothing here needs the request.

A deep page does not read the rows it skips: the page's ids come from a subquery that selects
only the primary key in the list's order (which an index on the sort key answers from the
index alone), and the outer query loads just those rows. OFFSET 50,000 over full rows read
50,000 rows from the table; over ids it reads index entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, inspect, select

from provider_portal.extensions import db

PAGE_SIZE = 50

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of one page, where it is among the pages, and how many items there are."""

    items: list[T]
    page: int
    pages: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def map(self, function: Callable[[T], U]) -> Page[U]:
        """The same page with each item turned into something else (a row to show, say)."""
        return Page(
            [function(item) for item in self.items],
            self.page,
            self.pages,
            self.total,
            self.per_page,
        )


def page_window(total: int, page: int, per_page: int = PAGE_SIZE) -> tuple[int, int]:
    """(page, pages): a page out of range is the nearest one there is; no items is one page."""
    pages = max(1, -(-total // per_page))
    return min(max(page, 1), pages), pages


def count_of(query: Select[Any]) -> Select[Any]:
    """A COUNT of the query's rows (its ORDER BY left out)."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def _counted(
    query: Select[Any], page: int, per_page: int, count: Select[Any] | None
) -> tuple[int, int, int]:
    """The page there is nearest the one asked for, the pages, and the total (one COUNT)."""
    total = db.session.scalar(count if count is not None else count_of(query)) or 0
    page, pages = page_window(total, page, per_page)
    return page, pages, total


def _limited(query: Select[T], page: int, per_page: int) -> Select[T]:
    return query.limit(per_page).offset((page - 1) * per_page)


# A query for the ids of one page, given (offset, limit): for a list whose order an index
# cannot follow, a cheaper way to the same ids (the board's, say) than sorting every row. Its
# first column is the id, and the rest the columns its order is by (then the id): the page's
# rows come in that order without the list's own ORDER BY computed again.
PageIds = Callable[[int, int], Select[*tuple[Any, ...]]]


def _by_page_ids(window: Select[T], page_ids: PageIds | None = None) -> Select[T]:
    """The same page, its rows found by their ids: the skipped rows are passed over as ids.

    The outer query keeps the list's order and loader options; a query of something other than
    one entity with a one-column primary key is left as it is.
    """
    entity = window.column_descriptions[0]["entity"]
    if len(window.column_descriptions) != 1 or entity is None:
        return window
    key = inspect(entity).primary_key
    if len(key) != 1:
        return window
    # Only the ids, the order and the loader options: the filters are in the ids already, and
    # repeating them could lead the database to read the whole list again to apply them.
    if page_ids is not None:
        page = page_ids(window._offset or 0, window._limit or PAGE_SIZE).subquery()
        first, *order = page.c
        return (
            select(entity)
            .join(page, key[0] == first)
            .order_by(*order, key[0])
            .options(*window._with_options)
        )
    ids = window.with_only_columns(key[0]).options()
    return (
        select(entity)
        .where(key[0].in_(ids))
        .order_by(*window._order_by_clauses)
        .options(*window._with_options)
    )


def page_statement(
    query: Select[T], page: int, per_page: int = PAGE_SIZE, page_ids: PageIds | None = None
) -> Select[T]:
    """The statement paginate() runs for one page (an existing page number: see page_window)."""
    return _by_page_ids(_limited(query, page, per_page), page_ids)


def paginate(
    query: Select[T],
    page: int,
    per_page: int = PAGE_SIZE,
    count: Select[Any] | None = None,
    page_ids: PageIds | None = None,
    statement: Callable[[int], Select[T]] | None = None,
) -> Page[T]:
    """One page of the query's entities; the query comes ordered, with its loader options.

    The total counts the query without its ORDER BY, unless a cheaper count is given; the
    page's ids come from the query itself, unless page_ids gives them (in the same order).
    A list that keeps its statements from one request to the next (the board does: building
    and keying a long statement costs more than running it) gives `statement`, which returns
    page_statement(query, page, per_page, page_ids) for a page number.
    """
    page, pages, total = _counted(query, page, per_page, count)
    chosen = statement(page) if statement else page_statement(query, page, per_page, page_ids)
    rows = db.session.scalars(chosen)
    return Page(list(rows), page, pages, total, per_page)


def paginate_rows(query: Select[Any], page: int, count: Select[Any]) -> Page[Any]:
    """As paginate(), for a query of several columns (its items are rows) and its own count."""
    page, pages, total = _counted(query, page, PAGE_SIZE, count)
    rows = db.session.execute(_limited(query, page, PAGE_SIZE))
    return Page(list(rows), page, pages, total, PAGE_SIZE)
