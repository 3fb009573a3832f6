"""notify(): one notification per person, the email their choice asks for, never across sides;
and every message template renders from the fields a message may carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.models import Notification, NotificationPreference, OutboxMessage, Role
from provider_portal.models.notifications import (
    DELIVER_DAILY,
    DELIVER_OFF,
    DIGEST_WAITING,
)
from provider_portal.notifications.kinds import KINDS, SECURITY_MAIL
from provider_portal.notifications.messages import TEMPLATE_FOLDER, render_message
from provider_portal.notifications.services import delivery_for, notify, work_fields
from tests.factories import Factory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / TEMPLATE_FOLDER


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_each_choice_gives_the_email_it_asks_for(make: Factory) -> None:
    allocation = make.allocation()
    provider = allocation.provider
    at_once, daily, off = (make.user(Role.PROVIDER_ADMIN, provider) for _ in range(3))
    db.session.add_all(
        [
            NotificationPreference(user_id=daily.id, kind="work_allocated", delivery=DELIVER_DAILY),
            NotificationPreference(user_id=off.id, kind="work_allocated", delivery=DELIVER_OFF),
        ]
    )
    written = notify("work_allocated", [at_once, daily, off, at_once], allocation=allocation)
    db.session.commit()

    assert sorted(n.user_id for n in written) == sorted([at_once.id, daily.id, off.id])
    by_user = {n.user_id: n for n in db.session.scalars(select(Notification))}
    assert by_user[daily.id].digest == DIGEST_WAITING
    assert by_user[at_once.id].digest is None and by_user[off.id].digest is None
    messages = list(db.session.scalars(select(OutboxMessage)))
    assert [(m.user_id, m.to_address, m.template) for m in messages] == [
        (at_once.id, at_once.email, "work_allocated")
    ]
    fields = json.loads(messages[0].personalisation)
    assert fields["case_ref"] == allocation.case.case_ref
    assert fields["link"].endswith(f"/provider/allocations/{allocation.id}")


def test_inactive_people_get_nothing(make: Factory) -> None:
    allocation = make.allocation()
    gone = make.user(Role.PROVIDER_ADMIN, allocation.provider, active=False)
    assert notify("work_allocated", [gone], allocation=allocation) == []
    db.session.commit()
    assert _count(Notification) == 0 and _count(OutboxMessage) == 0


def test_a_message_never_crosses_to_the_wrong_side(make: Factory) -> None:
    allocation = make.allocation()
    other_provider = make.user(Role.PROVIDER_ADMIN, make.provider())
    manager = make.user(Role.MANAGER)
    with pytest.raises(ValueError):
        notify("work_allocated", [other_provider], allocation=allocation)
    with pytest.raises(ValueError):
        notify("work_allocated", [manager], allocation=allocation)
    with pytest.raises(ValueError):
        notify(
            "work_returned",
            [make.user(Role.PRACTITIONER, allocation.provider)],
            allocation=allocation,
        )


def test_a_key_makes_a_second_run_add_nothing(make: Factory) -> None:
    allocation = make.allocation()
    allocation.provider.team_mailbox = "team@provider.example"
    person = make.user(Role.PROVIDER_ADMIN, allocation.provider)
    for _ in range(2):
        notify("overdue", [person], allocation=allocation, team_mailbox=True, dedupe="overdue:1:0")
        db.session.commit()
    assert _count(Notification) == 1
    assert sorted(m.to_address for m in db.session.scalars(select(OutboxMessage))) == sorted(
        [person.email, "team@provider.example"]
    )


def test_the_team_mailbox_gets_a_copy(make: Factory) -> None:
    allocation = make.allocation()
    allocation.provider.team_mailbox = "team@provider.example"
    notify("work_allocated", [], allocation=allocation, team_mailbox=True)
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.to_address, message.provider_id, message.user_id) == (
        "team@provider.example",
        allocation.provider_id,
        None,
    )


def test_choices_default_per_kind_and_security_mail_cannot_be_turned_off(make: Factory) -> None:
    person = make.user(Role.MANAGER)
    db.session.add(NotificationPreference(user_id=person.id, kind="security", delivery=DELIVER_OFF))
    db.session.add(
        NotificationPreference(user_id=person.id, kind="work_returned", delivery=DELIVER_OFF)
    )
    db.session.commit()
    assert delivery_for([person.id], SECURITY_MAIL) == {person.id: SECURITY_MAIL.default}
    assert delivery_for([person.id], KINDS["work_returned"]) == {person.id: DELIVER_OFF}
    assert delivery_for([person.id], KINDS["question_asked"]) == {
        person.id: KINDS["question_asked"].default
    }


def test_every_kind_has_a_template_and_no_other_template_exists() -> None:
    names = {path.stem for path in TEMPLATES.glob("*.txt")}
    assert set(KINDS) <= names
    assert names - set(KINDS) == {"digest"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_template_renders_from_the_work_fields(app: Flask, make: Factory, kind: str) -> None:
    allocation = make.allocation()
    fields = work_fields(allocation, KINDS[kind].side) | {"returned_on": "1 August 2024"}
    subject, body = render_message(kind, fields)
    assert allocation.case.case_ref in subject
    assert fields["link"] in body
    case = allocation.case
    # The date of birth in any form the portal writes dates (a bare year could be part of a
    # case reference or a provider's generated name).
    born = case.date_of_birth
    for personal in (
        case.first_name,
        case.last_name,
        born.isoformat(),
        long_date(born),
        f"{born:%d/%m/%Y}",
    ):
        assert personal not in subject + body
    assert "{{" not in body and "\n\n\n" not in body
