"""The kinds of notification: who each is for, what it is called, and its default delivery.

Every notification names one kind. The side says whose people can receive it (the council's
or the provider's); reminders are queued by `flask notifications send-due`, the rest by the
event itself in the same transaction. Each person chooses per kind how email reaches them
(immediately, a daily digest, or off); mandatory kinds cannot be turned off.
"""

from __future__ import annotations

from dataclasses import dataclass

from provider_portal.models.notifications import DELIVER_IMMEDIATELY

COUNCIL = "council"
PROVIDER = "provider"
ANYONE = "anyone"


@dataclass(frozen=True)
class Kind:
    """One kind of notification."""

    key: str
    # Says what happened, as a notification's heading and an email's subject start.
    label: str
    # What the preference page calls it: "New work allocated to your organisation".
    choice: str
    side: str
    reminder: bool = False
    mandatory: bool = False
    default: str = DELIVER_IMMEDIATELY


_ALL = (
    Kind(
        "work_allocated", "New work allocated", "New work allocated to your organisation", PROVIDER
    ),
    Kind("work_assigned", "Work assigned to you", "Work assigned to you", PROVIDER),
    Kind(
        "work_sent_back", "Work sent back for amendment", "Work sent back for amendment", PROVIDER
    ),
    Kind("work_accepted", "Work accepted by the council", "Work accepted by the council", PROVIDER),
    Kind(
        "work_withdrawn", "Work withdrawn by the council", "Work withdrawn by the council", PROVIDER
    ),
    Kind("question_answered", "Question answered", "Answers to your questions", PROVIDER),
    Kind(
        "exception_recorded",
        "Exception to the time limit recorded",
        "Exceptions to the time limit on your work",
        PROVIDER,
    ),
    Kind("due_soon", "Work due in 7 days", "Reminders of work due in 7 days", PROVIDER, True),
    Kind("overdue", "Work overdue", "Reminders of overdue work", PROVIDER, True),
    Kind(
        "work_taken_on",
        "Work accepted by the provider",
        "Providers accepting work",
        COUNCIL,
    ),
    Kind("work_declined", "Work declined by the provider", "Providers declining work", COUNCIL),
    Kind("work_returned", "Work returned for review", "Work returned for review", COUNCIL),
    Kind("question_asked", "Question from a provider", "Questions from providers", COUNCIL),
    Kind(
        "awaiting_review",
        "Returned work waiting for review",
        "Reminders of returned work waiting more than 5 working days",
        COUNCIL,
        True,
    ),
    Kind(
        "question_waiting",
        "Provider question waiting for an answer",
        "Reminders of unanswered provider questions",
        COUNCIL,
        True,
    ),
)

KINDS: dict[str, Kind] = {kind.key: kind for kind in _ALL}

# Sign-in and account security mail (invitations, password resets): sent at once, always,
# straight to the person and never through the outbox, so no link that signs someone in is
# stored. Shown on the preferences page so people know it cannot be turned off.
SECURITY_MAIL = Kind(
    "security",
    "Sign-in and account security",
    "Sign-in and account security emails",
    ANYONE,
    mandatory=True,
)
