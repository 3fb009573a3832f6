"""The contacts a provider needs for the work: recorded by the council on the case, checked
loosely, audited without their values, and shown to the provider only while its work is open."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from provider_portal.cases.contacts.services import EMAIL_ERROR, PHONE_ERROR, is_uk_phone
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, Case, Role

CONTACTS = {
    "contacts-parent_carer_name": "Morwenna Tregarth",
    "contacts-parent_carer_phone": "07700 900 982",
    "contacts-parent_carer_email": "morwenna@example.com",
    "contacts-senco_name": "Idris Penhallow",
    "contacts-senco_phone": "+44 (0)1632 960 001",
    "contacts-senco_email": "senco@westfield.example.sch.uk",
}


def _form(client, case_id: int) -> dict[str, str]:
    soup = client.page(f"/cases/{case_id}/contacts")
    return {f["name"]: f["value"] for f in soup.select("input[type=hidden][name^='contacts-']")}


def save(client, case_id: int, values: dict[str, str]):
    return client.post(f"/cases/{case_id}/contacts", {**_form(client, case_id), **values})


def _case(case_id: int) -> Case:
    db.session.rollback()
    return db.session.get(Case, case_id)


@pytest.fixture
def manager(client_for):
    return client_for(Role.MANAGER)


def test_the_council_records_the_contacts_and_sees_them_on_the_case(make, manager):
    case = make.case()
    page = manager.page(f"/cases/{case.id}")
    assert "Not recorded" in page.select_one("#contact-list").get_text()
    assert page.select_one("#change-contacts")["href"] == f"/cases/{case.id}/contacts"

    response = save(manager, case.id, CONTACTS)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.id}#contacts"
    saved = _case(case.id)
    assert saved.parent_carer_phone == "07700 900 982"
    assert saved.senco_email == "senco@westfield.example.sch.uk"
    listed = manager.page(f"/cases/{case.id}").select_one("#contact-list").get_text()
    for value in CONTACTS.values():
        assert value in listed
    # The form shows what is recorded; emptying a box removes it.
    form = manager.page(f"/cases/{case.id}/contacts")
    assert form.select_one("#contacts-senco_name")["value"] == "Idris Penhallow"
    assert save(manager, case.id, {**CONTACTS, "contacts-senco_name": ""}).status_code == 303
    assert _case(case.id).senco_name is None


def test_changes_are_audited_by_field_name_never_by_value(make, manager):
    case = make.case()
    save(manager, case.id, CONTACTS)
    save(manager, case.id, {**CONTACTS, "contacts-senco_phone": "0161 496 0000"})
    save(manager, case.id, {**CONTACTS, "contacts-senco_phone": "0161 496 0000"})  # no change
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "case_contacts_changed")
        .order_by(AuditEvent.id)
    ).all()
    assert [r.detail for r in rows] == [
        "fields=parent_carer_name,parent_carer_phone,parent_carer_email,"
        "senco_name,senco_phone,senco_email",
        "fields=senco_phone",
    ]
    assert all(r.case_id == case.id and r.object_id == case.id for r in rows)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("parent_carer_phone", "12345", PHONE_ERROR),
        ("parent_carer_phone", "call after 3pm", PHONE_ERROR),
        ("senco_phone", "+1 202 555 0100", PHONE_ERROR),
        ("parent_carer_email", "morwenna.example.com", EMAIL_ERROR),
        ("senco_email", "senco@school", EMAIL_ERROR),
        ("senco_email", "two words@example.com", EMAIL_ERROR),
        ("parent_carer_name", "x" * 201, "Enter no more than 200 characters"),
        ("senco_email", "a" * 250 + "@example.com", "Enter no more than 254 characters"),
    ],
)
def test_a_bad_value_is_refused_with_the_govuk_error_summary(make, manager, field, value, error):
    case = make.case()
    response = save(manager, case.id, {**CONTACTS, f"contacts-{field}": value})
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    link = soup.select_one(".govuk-error-summary a")
    assert link.get_text(strip=True) == error
    assert link["href"] == f"#contacts-{field}"
    assert error in soup.select_one(f"#contacts-{field}-error").get_text()
    assert _case(case.id).parent_carer_name is None  # nothing half-saved


@pytest.mark.parametrize(
    ("number", "uk"),
    [
        ("01632 960001", True),
        ("(01632) 960 001", True),
        ("020 7946 0000", True),
        ("+44 20 7946 0000", True),
        ("0044 7700 900982", True),
        ("+44 (0)7700-900-982", True),
        ("0800 123 456", True),
        ("7700 900982", False),
        ("+33 1 23 45 67 89", False),
        ("01632 960 001 ext 4", False),
        ("0" * 13, False),
    ],
)
def test_uk_telephone_numbers_are_checked_loosely(number, uk):
    assert is_uk_phone(number) is uk


def test_a_copy_saved_by_someone_else_meanwhile_is_not_overwritten(make, manager, client_for):
    case = make.case()
    stale = _form(manager, case.id)
    save(client_for(Role.MANAGER), case.id, CONTACTS)
    response = manager.post(
        f"/cases/{case.id}/contacts", {**stale, **CONTACTS, "contacts-senco_name": "Someone"}
    )
    assert response.status_code == 200
    assert "Someone else changed this case" in response.get_data(as_text=True)
    assert _case(case.id).senco_name == "Idris Penhallow"


def test_the_same_form_twice_saves_once(make, manager):
    case = make.case()
    data = {**_form(manager, case.id), **CONTACTS}
    assert manager.post(f"/cases/{case.id}/contacts", data).status_code == 303
    assert manager.post(f"/cases/{case.id}/contacts", data).status_code == 303
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case_contacts_changed")
    ).all()
    assert len(rows) == 1


@pytest.fixture
def provider_work(make, client_for, manager):
    provider = make.provider("Northbrook Psychology")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    case = make.case()
    save(manager, case.id, CONTACTS)
    allocation = make.allocation(
        case=_case(case.id),
        provider=provider,
        provider_accepted_on=date(2024, 8, 2),
        assigned_to_id=practitioner.id,
    )
    return allocation, [
        client_for(Role.PROVIDER_ADMIN, provider=provider),
        client_for(practitioner),
    ]


def test_the_provider_sees_the_contacts_while_the_work_is_open(provider_work):
    allocation, clients = provider_work
    for client in clients:
        page = client.page(f"/provider/allocations/{allocation.id}")
        listed = page.select_one("#contact-list").get_text()
        for value in CONTACTS.values():
            assert value in listed
        assert "Tregarth" not in page.title.get_text()


@pytest.mark.parametrize(
    "status",
    [AllocationStatus.ACCEPTED, AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED],
)
def test_the_contacts_are_gone_once_the_work_closes(provider_work, status):
    allocation, clients = provider_work
    allocation = db.session.merge(allocation)
    allocation.status = status
    allocation.closed_on = date.today()
    db.session.commit()
    for client in clients:
        page = client.page(f"/provider/allocations/{allocation.id}")
        assert page.select_one("#contacts") is None
        text = page.get_text()
        for value in CONTACTS.values():
            assert value not in text


def test_the_provider_is_told_when_none_are_recorded(make, client_for):
    provider = make.provider()
    allocation = make.allocation(provider=provider)
    page = client_for(Role.PROVIDER_ADMIN, provider=provider).page(
        f"/provider/allocations/{allocation.id}"
    )
    assert page.select_one("#no-contacts") is not None
    assert page.select_one("#contact-list") is None
