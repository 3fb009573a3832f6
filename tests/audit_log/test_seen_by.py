"""The case page's "seen by": who looked at this child's record, from the audit trail."""

from __future__ import annotations

from datetime import datetime

from freezegun import freeze_time
from sqlalchemy import and_, func, or_, select

from provider_portal.audit_log.queries import SEEN_ACTIONS
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from provider_portal.timescales import LONDON
from tests.audit_log.support import stored_document


def _seen_by(soup) -> list[list[str]]:
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup.select("#seen-by tbody tr")
    ]


def _from_audit_rows(case, allocation, document) -> list[list[str]]:
    """What the table should say, worked out here from the audit rows themselves."""
    about_case = or_(
        AuditEvent.case_id == case.id,
        and_(AuditEvent.object_type == "case", AuditEvent.object_id == case.id),
        and_(AuditEvent.object_type == "allocation", AuditEvent.object_id == allocation.id),
        and_(AuditEvent.object_type == "document", AuditEvent.object_id == document.id),
    )
    last: dict[int, datetime] = {}
    for actor_id, occurred_at in db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.occurred_at).where(
            about_case, AuditEvent.action.in_(SEEN_ACTIONS)
        )
    ):
        last[actor_id] = max(occurred_at, last.get(actor_id, occurred_at))
    rows = []
    for actor_id, seen in sorted(last.items(), key=lambda item: item[1], reverse=True):
        user = db.session.get(User, actor_id)
        role = user.role.label + (f", {user.provider.name}" if user.provider else "")
        rows.append([user.name, role, seen.astimezone(LONDON).strftime("%-d %b %Y %H:%M %Z")])
    return rows


def test_seen_by_matches_the_audit_rows(make, client_for):
    with freeze_time("2024-05-01 09:00:00") as clock:
        provider = make.provider("Northbrook")
        case = make.case()
        other_case = make.case()
        allocation = make.allocation(case=case, provider=provider)
        document = stored_document(allocation)
        mina = client_for(make.user(Role.MANAGER, name="Mina Manager"))
        adam = client_for(make.user(Role.ADMIN, name="Adam Admin"))
        dora = client_for(make.user(Role.MANAGER, name="Dora Downloader"))
        client_for(make.user(Role.MANAGER, name="Nobody Looked"))

        mina.page(f"/cases/{case.id}")
        clock.tick(60)
        adam.page(f"/allocations/{allocation.id}")
        clock.tick(60)
        response = dora.get(f"/allocations/documents/{document.id}")
        assert response.status_code == 200
        clock.tick(60)
        dora.page(f"/cases/{other_case.id}")  # another child: not this record
        clock.tick(60)
        mina.page(f"/cases/{case.id}")
        clock.tick(60)
        soup = adam.page(f"/cases/{case.id}")

    table = _seen_by(soup)
    # This very view is in the list (10:05 BST), and each person appears once.
    assert table == [
        ["Adam Admin", "Administrator", "1 May 2024 10:05 BST"],
        ["Mina Manager", "Commissioning manager", "1 May 2024 10:04 BST"],
        ["Dora Downloader", "Commissioning manager", "1 May 2024 10:02 BST"],
    ]
    assert table == _from_audit_rows(case, allocation, document)
    # Each view is one audit row carrying the case.
    views = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "case_viewed", AuditEvent.case_id == case.id
        )
    )
    assert views == 3
    # Administrators can follow the case into the audit trail.
    assert soup.select_one('a[href="/audit?case_ref=' + case.case_ref + '"]') is not None


def test_seen_by_names_provider_staff_with_their_organisation(make, client_for):
    provider = make.provider("Northbrook")
    case = make.case()
    allocation = make.allocation(case=case, provider=provider)
    document = stored_document(allocation)
    p_admin = make.user(Role.PROVIDER_ADMIN, provider=provider, name="Pia Provider")
    client_for(p_admin).page(f"/provider/allocations/{allocation.id}")
    manager = client_for(make.user(Role.MANAGER, name="Mina Manager"))
    soup = manager.page(f"/cases/{case.id}")
    table = _seen_by(soup)
    assert [row[:2] for row in table] == [
        ["Mina Manager", "Commissioning manager"],
        ["Pia Provider", "Provider administrator, Northbrook"],
    ]
    assert table == _from_audit_rows(case, allocation, document)
    # Managers see who looked, but the audit trail link is for administrators.
    assert soup.select_one('a[href^="/audit"]') is None


def test_a_fresh_case_lists_only_the_current_viewer(make, client_for):
    case = make.case()
    manager = client_for(make.user(Role.MANAGER, name="Mina Manager"))
    assert [row[0] for row in _seen_by(manager.page(f"/cases/{case.id}"))] == ["Mina Manager"]
