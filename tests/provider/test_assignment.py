"""The provider administrator gives work to their own people, and only to them."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AuditEvent, Role
from tests.factories import Factory


def _assign_url(org) -> str:
    return f"/provider/allocations/{org.allocation.id}/assignment"


def _assigned_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "allocation_assigned"))
    )


def test_admin_assigns_to_their_own_practitioner(client_for, org):
    admin = client_for(org.admin)
    soup = admin.page(f"/provider/allocations/{org.allocation.id}")
    options = [o.get_text() for o in soup.select("#assign-assigned_to option")]
    assert options == ["Select a person", "Helen Ward", "Ravi Shah", "Tom Okafor"]

    response = admin.post(_assign_url(org), {"assign-assigned_to": str(org.p1.id)})
    assert response.status_code == 303
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id == org.p1.id
    [event] = _assigned_events()
    assert event.detail == f"assigned_to={org.p1.id}"
    assert (event.case_id, event.provider_id, event.actor_id) == (
        org.case.id,
        org.provider.id,
        org.admin.id,
    )

    soup = admin.page("/provider/allocations")
    assert "Tom Okafor" in soup.select_one("#allocation-list tbody tr").get_text()
    soup = admin.page(f"/provider/allocations/{org.allocation.id}")
    assert "Tom Okafor" in soup.select_one("#allocation-answer").get_text()
    selected = soup.select_one("#assign-assigned_to option[selected]")
    assert selected is not None and selected.get_text() == "Tom Okafor"


def test_reassigning_and_assigning_an_administrator(client_for, org):
    admin = client_for(org.admin)
    assert admin.post(_assign_url(org), {"assign-assigned_to": str(org.p1.id)}).status_code == 303
    response = admin.post(_assign_url(org), {"assign-assigned_to": str(org.admin.id)})
    assert response.status_code == 303
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id == org.admin.id
    assert len(_assigned_events()) == 2


def test_assign_with_htmx_swaps_the_panel(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_assign_url(org), {"assign-assigned_to": str(org.p2.id)}, htmx=True)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert "Work assigned to Ravi Shah" in soup.select_one(".govuk-notification-banner").get_text()


def _other_people(make: Factory, org) -> dict[str, str]:
    q = make.provider("Provider Q")
    left = make.user(Role.PRACTITIONER, provider=org.provider, name="Left Already", active=False)
    return {
        "another provider's practitioner": str(make.user(Role.PRACTITIONER, provider=q).id),
        "another provider's administrator": str(make.user(Role.PROVIDER_ADMIN, provider=q).id),
        "a council manager": str(make.user(Role.MANAGER).id),
        "a council administrator": str(make.user(Role.ADMIN).id),
        "a deactivated practitioner of their own": str(left.id),
        "nobody": "999999",
        "not a number": "abc",
        "a huge number": "9" * 30,
    }


@pytest.mark.parametrize(
    "who",
    [
        "another provider's practitioner",
        "another provider's administrator",
        "a council manager",
        "a council administrator",
        "a deactivated practitioner of their own",
        "nobody",
        "not a number",
        "a huge number",
    ],
)
def test_assigning_anyone_else_fails_and_saves_nothing(client_for, make, org, who):
    value = _other_people(make, org)[who]
    admin = client_for(org.admin)
    response = admin.post(_assign_url(org), {"assign-assigned_to": value})
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    assert "Select someone from your organisation" in summary.get_text()
    assert summary.select_one("a")["href"] == "#assign-assigned_to"
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id is None
    assert _assigned_events() == []


def test_choosing_nobody_is_an_error(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_assign_url(org), {"assign-assigned_to": ""})
    assert response.status_code == 200
    assert "Select who will do this work" in response.get_data(as_text=True)
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id is None


def test_extra_fields_cannot_move_work_to_another_provider(client_for, make, org):
    q = make.provider("Provider Q")
    q_user = make.user(Role.PRACTITIONER, provider=q)
    admin = client_for(org.admin)
    response = admin.post(
        _assign_url(org),
        {
            "assign-assigned_to": str(org.p1.id),
            "provider_id": str(q.id),
            "assign-provider_id": str(q.id),
            "assigned_to_id": str(q_user.id),
            "role": "admin",
        },
    )
    assert response.status_code == 303
    allocation = db.session.get(Allocation, org.allocation.id)
    assert (allocation.provider_id, allocation.assigned_to_id) == (org.provider.id, org.p1.id)


def test_only_the_administrator_of_the_same_provider_assigns(client_for, make, org):
    p1 = client_for(org.p1)
    assert p1.post(_assign_url(org), {"assign-assigned_to": str(org.p1.id)}).status_code == 403
    q_admin = client_for(Role.PROVIDER_ADMIN, provider=make.provider("Provider Q"))
    response = q_admin.post(_assign_url(org), {"assign-assigned_to": str(q_admin.user.id)})
    assert response.status_code == 404
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id is None


def test_closed_work_cannot_be_assigned(client_for, org):
    admin = client_for(org.admin)
    assert (
        admin.post(
            f"/provider/allocations/{org.allocation.id}/decline", {"decline-reason": "No"}
        ).status_code
        == 303
    )
    soup = admin.page(f"/provider/allocations/{org.allocation.id}")
    assert soup.select_one("#assign-assigned_to") is None
    response = admin.post(_assign_url(org), {"assign-assigned_to": str(org.p1.id)})
    assert response.status_code == 200
    assert "Only work that is still open can be assigned" in response.get_data(as_text=True)
    assert db.session.get(Allocation, org.allocation.id).assigned_to_id is None
