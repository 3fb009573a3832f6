"""Who hears about a piece of work: the one rule, for events and reminders alike.

- The provider's side: the person the work is assigned to (while active and still one of the
  provider's people) and the provider's active administrators. (The copy to the provider's
  team mailbox is notify(team_mailbox=True).)
- The council's side: the manager who allocated the work, while that account is active and
  still a manager; otherwise every active manager.
Practitioners the work is not assigned to, other providers' people, monitors and
administrators are never among them.

People are read in a constant number of queries however many pieces of work are asked about,
and each provider's administrators (and the managers) once per transaction, so a batch of
events reads them once, not once per allocation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, Role, User

# A key of db.session.info: the people read in the current transaction, and that transaction.
PEOPLE = "notify_people"


def _held() -> dict[object, list[User]]:
    """People read in this transaction (accounts change between transactions, so the next
    one reads them again)."""
    transaction = db.session().get_transaction()
    held = db.session.info.get(PEOPLE)
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        db.session.info[PEOPLE] = held
    people: dict[object, list[User]] = held[1]
    return people


def _read_once(key: object, read: Callable[[], list[User]]) -> list[User]:
    people = _held()
    if key not in people:
        people[key] = read()
    return people[key]


def administrators(provider_ids: Sequence[int]) -> dict[int, list[User]]:
    """Each provider's active administrators, by id; one query for those not read yet."""
    held = _held()
    missing = sorted({pid for pid in provider_ids if ("admins", pid) not in held})
    if missing:
        for pid in missing:
            held[("admins", pid)] = []
        for admin in db.session.scalars(
            select(User)
            .where(
                User.provider_id.in_(missing),
                User.role == Role.PROVIDER_ADMIN,
                User.active.is_(True),
            )
            .order_by(User.id)
        ):
            held[("admins", admin.provider_id)].append(admin)
    return {pid: held[("admins", pid)] for pid in provider_ids}


def managers() -> list[User]:
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


def assignees(allocations: Sequence[Allocation]) -> dict[int, User]:
    """For each piece of assigned work, the person it is assigned to, while active and still
    one of its provider's people; one query (none when nothing is assigned)."""
    ids = sorted({a.assigned_to_id for a in allocations if a.assigned_to_id is not None})
    if not ids:
        return {}
    people = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)))
    }
    found: dict[int, User] = {}
    for allocation in allocations:
        person = people.get(allocation.assigned_to_id or 0)
        # Someone who has moved to another provider keeps no sight of this work.
        if person is not None and person.provider_id == allocation.provider_id:
            found[allocation.id] = person
    return found


def provider_people(allocations: Sequence[Allocation]) -> dict[int, list[User]]:
    """For each piece of work, the provider's people to tell: the assignee, then the
    administrators."""
    admins = administrators([allocation.provider_id for allocation in allocations])
    assigned = assignees(allocations)
    people: dict[int, list[User]] = {}
    for allocation in allocations:
        first = [assigned[allocation.id]] if allocation.id in assigned else []
        people[allocation.id] = first + [
            admin for admin in admins[allocation.provider_id] if admin not in first
        ]
    return people


def council_people(allocations: Sequence[Allocation]) -> dict[int, list[User]]:
    """For each piece of work, the council's people to tell: the manager who allocated it if
    still an active manager, otherwise every active manager."""
    if not allocations:
        return {}
    everyone = managers()
    by_id = {manager.id: manager for manager in everyone}
    people: dict[int, list[User]] = {}
    for allocation in allocations:
        allocator = by_id.get(allocation.allocated_by_id or 0)
        people[allocation.id] = [allocator] if allocator else list(everyone)
    return people
