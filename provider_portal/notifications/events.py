"""Who is told of each event on a piece of work: the rules in one place.

The services call work_event() in the same transaction as the event, so a notification exists
exactly when its event does (a rolled-back event leaves none).

- The provider's side (work_allocated, work_sent_back, work_accepted, work_withdrawn,
  question_answered, exception_recorded): the person the work is assigned to, if any, and the
  provider's active administrators, with a copy to the provider's team mailbox.
  work_assigned goes to the assignee only, with no copy.
- The council's side (work_taken_on, work_declined, work_returned, question_asked): the
  manager who allocated the work, while that account is active and still a manager;
  otherwise every active manager.
- Never the person who did the action. Practitioners the work is not assigned to, other
  providers' people, monitors and administrators get nothing.

Allocating a batch tells each allocation's people, but reads the provider's administrators
once per transaction (see _administrators), not once per allocation.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, Role, User
from provider_portal.models.notifications import Notification
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER
from provider_portal.notifications.services import notify

# A key of db.session.info: the people read in the current transaction, and that transaction.
PEOPLE = "notify_people"
# The kinds whose copy goes to the provider's team mailbox: the organisation's work mail.
# work_assigned is one person's own news.
_NO_TEAM_COPY = frozenset({"work_assigned"})


def _read_once(key: object, read: Callable[[], list[User]]) -> list[User]:
    """People read once per transaction (accounts change between transactions, so the next
    one reads them again)."""
    transaction = db.session().get_transaction()
    held = db.session.info.get(PEOPLE)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        db.session.info[PEOPLE] = held
    people: dict[object, list[User]] = held[1]
    if key not in people:
        people[key] = read()
    return people[key]


def _administrators(provider_id: int) -> list[User]:
    """The provider's active administrators."""
    return _read_once(
        provider_id,
        lambda: list(
            db.session.scalars(
                select(User)
                .where(
                    User.provider_id == provider_id,
                    User.role == Role.PROVIDER_ADMIN,
                    User.active.is_(True),
                )
                .order_by(User.id)
            )
        ),
    )


def _managers() -> list[User]:
    """Every active manager."""
    return _read_once(
        Role.MANAGER,
        lambda: list(
            db.session.scalars(
                select(User)
                .where(User.role == Role.MANAGER, User.active.is_(True))
                .order_by(User.id)
            )
        ),
    )


def _assignee(allocation: Allocation) -> User | None:
    """The person the work is assigned to, if they are still one of the provider's people."""
    if allocation.assigned_to_id is None:
        return None
    person = db.session.get(User, allocation.assigned_to_id)
    if person is None or person.provider_id != allocation.provider_id:
        return None
    return person


def recipients(kind_key: str, allocation: Allocation, actor: User | None) -> list[User]:
    """The people told of an event of this kind on the work (see the module's note)."""
    kind = KINDS[kind_key]
    people: list[User] = []
    if kind.side == PROVIDER:
        assignee = _assignee(allocation)
        if assignee is not None:
            people.append(assignee)
        if kind_key != "work_assigned":
            people.extend(_administrators(allocation.provider_id))
    elif kind.side == COUNCIL:
        allocator = (
            db.session.get(User, allocation.allocated_by_id) if allocation.allocated_by_id else None
        )
        if allocator is not None and allocator.active and allocator.role is Role.MANAGER:
            people.append(allocator)
        else:
            people.extend(_managers())
    actor_id = actor.id if actor is not None else None
    chosen: dict[int, User] = {}
    for person in people:
        if person.active and person.id != actor_id:
            chosen.setdefault(person.id, person)
    return list(chosen.values())


def work_event(kind_key: str, allocation: Allocation, actor: User | None) -> list[Notification]:
    """Tell the right people of an event on a piece of work, in the event's transaction.

    Returns the notifications written (the team mailbox's copy is an email only)."""
    return notify(
        kind_key,
        recipients(kind_key, allocation, actor),
        allocation=allocation,
        team_mailbox=KINDS[kind_key].side == PROVIDER and kind_key not in _NO_TEAM_COPY,
    )
