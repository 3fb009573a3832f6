"""Each person's email choices: the kinds on their side, saved where they differ from the
default, audited; the security mail always sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, NotificationPreference, Role
from provider_portal.models.notifications import DELIVER_DAILY, DELIVER_IMMEDIATELY, DELIVER_OFF
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER

SIDES = {
    Role.MANAGER: COUNCIL,
    Role.ADMIN: COUNCIL,
    Role.PROVIDER_ADMIN: PROVIDER,
    Role.PRACTITIONER: PROVIDER,
}


def _keys(side: str) -> list[str]:
    return [key for key, kind in KINDS.items() if kind.side == side]


def _preferences() -> dict[tuple[int, str], str]:
    return {
        (p.user_id, p.kind): p.delivery for p in db.session.scalars(select(NotificationPreference))
    }


@pytest.mark.parametrize("role", sorted(SIDES))
def test_the_page_offers_the_kinds_of_the_persons_side(client_for, role: Role) -> None:
    client = client_for(role)
    soup = client.page("/notifications/settings")
    legends = [legend.get_text(strip=True) for legend in soup.select("form legend")]
    assert legends == [KINDS[key].choice for key in _keys(SIDES[role])]
    for key in _keys(SIDES[role]):
        checked = soup.select_one(f"input[name={key}][checked]")
        assert checked["value"] == KINDS[key].default
        labels = [label.get_text(strip=True) for label in soup.select(f"label[for^={key}]")]
        assert labels == ["Immediately", "In a daily digest", "Off"]
    security = soup.select_one("#security-mail").get_text()
    assert "Always sent" in security and "cannot turn these off" in security
    assert not soup.select("input[name=security]")


def test_a_monitor_has_nothing_to_choose(client_for) -> None:
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/notifications/settings")
    assert soup.select_one("#no-choices") and not soup.select("input[type=radio]")
    assert soup.select_one("#security-mail")


def test_every_choice_must_be_made(client_for) -> None:
    manager = client_for(Role.MANAGER)
    chosen = {key: DELIVER_IMMEDIATELY for key in _keys(COUNCIL)}
    chosen["work_returned"] = ""
    chosen["question_asked"] = "weekly"
    response = manager.post("/notifications/settings", chosen)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    assert [a.get_text() for a in soup.select(".govuk-error-summary__list a")] == [
        "Select how you want email about work returned for review",
        "Select how you want email about questions from providers",
    ]
    assert {a["href"] for a in soup.select(".govuk-error-summary__list a")} == {
        "#work_returned",
        "#question_asked",
    }
    assert soup.select_one("#work_returned")
    assert _preferences() == {}


def test_choices_are_saved_where_they_differ_and_audited(client_for) -> None:
    practitioner = client_for(Role.PRACTITIONER)
    person = practitioner.user
    chosen = {key: DELIVER_IMMEDIATELY for key in _keys(PROVIDER)}
    chosen |= {"work_sent_back": DELIVER_DAILY, "overdue": DELIVER_OFF}
    response = practitioner.post("/notifications/settings", chosen)
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/settings"
    assert _preferences() == {
        (person.id, "work_sent_back"): DELIVER_DAILY,
        (person.id, "overdue"): DELIVER_OFF,
    }
    soup = practitioner.page("/notifications/settings")
    assert soup.select_one("input[name=work_sent_back][checked]")["value"] == DELIVER_DAILY
    assert "saved" in soup.select_one(".govuk-notification-banner").get_text()

    # Back to the default: the row goes.
    chosen["overdue"] = DELIVER_IMMEDIATELY
    assert practitioner.post("/notifications/settings", chosen).status_code == 303
    assert _preferences() == {(person.id, "work_sent_back"): DELIVER_DAILY}
    # The same again changes nothing and audits nothing.
    assert practitioner.post("/notifications/settings", chosen).status_code == 303
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "notification_choices_changed")
            .order_by(AuditEvent.id)
        )
    )
    assert [(e.actor_id, e.object_id, e.detail) for e in events] == [
        (person.id, person.id, "work_sent_back=daily overdue=off"),
        (person.id, person.id, "overdue=immediately"),
    ]


def test_a_kind_of_the_other_side_cannot_be_chosen(client_for) -> None:
    practitioner = client_for(Role.PRACTITIONER)
    chosen = {key: DELIVER_IMMEDIATELY for key in _keys(PROVIDER)}
    chosen |= {"work_returned": DELIVER_OFF, "security": DELIVER_OFF}
    assert practitioner.post("/notifications/settings", chosen).status_code == 303
    assert _preferences() == {}


def test_the_form_needs_its_token(client_for) -> None:
    manager = client_for(Role.MANAGER)
    chosen = {key: DELIVER_OFF for key in _keys(COUNCIL)}
    assert manager.post("/notifications/settings", chosen, csrf=False).status_code == 400
    assert _preferences() == {}
