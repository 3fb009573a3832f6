"""Who is told of each event on a piece of work: the rules in one place.

The services call work_event() in the same transaction as the event, so a notification exists
exactly when its event does (a rolled-back event leaves none).

The people on each side are provider_portal.notifications.people's one rule (shared with the
reminders); here: the provider's kinds (work_allocated, work_sent_back, work_accepted,
work_withdrawn, question_answered, exception_recorded) also go to the provider's team mailbox;
work_assigned goes to the assignee only, with no copy; the council's kinds (work_taken_on,
work_declined, work_returned, question_asked) go to the council's people. Never to the person
who did the action.
"""

from __future__ import annotations

from provider_portal.models import Allocation, User
from provider_portal.models.notifications import Notification
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER
from provider_portal.notifications.people import assignees, council_people, provider_people
from provider_portal.notifications.services import notify

# The kinds whose copy goes to the provider's team mailbox: the organisation's work mail.
# work_assigned is one person's own news.
_NO_TEAM_COPY = frozenset({"work_assigned"})


def recipients(kind_key: str, allocation: Allocation, actor: User | None) -> list[User]:
    """The people told of an event of this kind on the work (see the module's note)."""
    kind = KINDS[kind_key]
    people: list[User] = []
    if kind_key == "work_assigned":
        people = list(assignees([allocation]).values())
    elif kind.side == PROVIDER:
        people = provider_people([allocation])[allocation.id]
    elif kind.side == COUNCIL:
        people = council_people([allocation])[allocation.id]
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
