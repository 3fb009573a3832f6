"""The cases a council user has ticked on the backlog board (models.BoardSelection).

Each request changes only the rows of the ticks it was sent: it adds the cases newly ticked
and removes those it showed unticked, so ticks saved at the same moment, or a page answered
while a tick is saved, cannot undo each other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from provider_portal.extensions import db
from provider_portal.models import BoardSelection, Case


def selected_ids(user_id: int) -> list[int]:
    """The ids of the cases this user has ticked, in the order they were ticked."""
    return list(
        db.session.scalars(
            select(BoardSelection.case_id)
            .where(BoardSelection.user_id == user_id)
            .order_by(BoardSelection.id)
        )
    )


def apply_ticks(
    user_id: int, shown: Collection[int], ticked: Sequence[int], limit: int
) -> tuple[list[int], bool]:
    """Bring a page's ticks into the selection: each case the page showed is in it when
    ticked and out of it when not; cases on other pages or outside the filters stay as they
    were. New ticks past `limit` cases are left out, and ids of no case are ignored. The
    selection, and whether any ticks were left out.

    The same statements whatever was ticked before: the selection read, then (for a page
    that showed cases) one DELETE, and (for any ticks) one INSERT of the cases there are.
    """
    kept = selected_ids(user_id)
    chosen = set(ticked)
    unticked = {case_id for case_id in kept if case_id in shown and case_id not in chosen}
    staying = [case_id for case_id in kept if case_id not in unticked]
    known = set(kept)
    new = [case_id for case_id in dict.fromkeys(ticked) if case_id not in known]
    room = max(limit - len(staying), 0)
    if shown:
        remove(user_id, unticked)
    added: list[int] = []
    if ticked:
        wanted = new[:room]
        # In the order ticked: the ids, so the selection's order, follow it.
        order = (
            case({case_id: n for n, case_id in enumerate(wanted)}, value=Case.id)
            if wanted
            else Case.id
        )
        table = BoardSelection.__table__
        dialect = sqlite if db.session.get_bind().dialect.name == "sqlite" else postgresql
        # Only cases there are: an id made up in the form is not kept (nor an error).
        inserted = set(
            db.session.scalars(
                dialect.insert(table)
                .from_select(
                    ["user_id", "case_id"],
                    select(literal(user_id), Case.id).where(Case.id.in_(wanted)).order_by(order),
                )
                .on_conflict_do_nothing(index_elements=["user_id", "case_id"])
                .returning(table.c.case_id)
            )
        )
        added = [case_id for case_id in wanted if case_id in inserted]
    return staying + added, len(new) > room


def remove(user_id: int, case_ids: Collection[int]) -> None:
    """Untick these cases (allocated, say); any others stay ticked."""
    db.session.execute(
        delete(BoardSelection).where(
            BoardSelection.user_id == user_id, BoardSelection.case_id.in_(list(case_ids))
        )
    )


def clear(user_id: int) -> None:
    """Untick every case: the "Clear selection" button, and each new sign-in."""
    db.session.execute(delete(BoardSelection).where(BoardSelection.user_id == user_id))
