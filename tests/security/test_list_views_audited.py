"""Every view of a list that shows children's names is in the audit trail, page and htmx
fragment alike: who looked at which list with which filters, and that they searched, but never
what they typed."""

from __future__ import annotations

from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role

NAME = "Zephyrine"


def _views(after: int = 0) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "list_viewed", AuditEvent.id > after)
            .order_by(AuditEvent.id)
        )
    )


def _read_token(client) -> int:
    """The test client reads its CSRF token from the home page (the board, for a manager):
    read it before the views counted, which come after the last row now."""
    client.token()
    db.session.expire_all()
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def _nothing_typed_is_kept() -> None:
    for event in db.session.scalars(select(AuditEvent)):
        row = " ".join(str(value) for value in vars(event).values())
        assert NAME.lower() not in row.lower(), row


def test_the_case_list_and_its_search(make, client_for):
    make.case(first_name=NAME)
    manager = client_for(Role.MANAGER)
    start = _read_token(manager)
    manager.page("/cases?allocation=open&page=3")
    manager.post("/cases", {"q": f"  {NAME} ", "allocation": "open"})
    manager.post("/cases", {"q": NAME}, htmx=True)
    manager.post("/cases", {"q": ""})  # redirected to the list: its view is the next row
    manager.get("/cases")
    views = _views(start)
    assert [event.detail for event in views] == [
        "list=cases allocation=open page=1",
        "list=cases q=yes allocation=open page=1",
        "list=cases q=yes page=1",
        "list=cases page=1",
    ]
    assert {event.actor_id for event in views} == {manager.user.id}
    assert all(event.ip_address for event in views)
    _nothing_typed_is_kept()


def test_the_board_with_every_filter(make, client_for):
    provider = make.provider()
    make.case(first_name=NAME, setting=f"{NAME} Primary")
    manager = client_for(Role.MANAGER)
    start = _read_token(manager)
    query = (
        f"flags=looked_after&flags=phase_transfer&band=over_26&unallocated=ep_advice"
        f"&provider={provider.id}&window=8&setting={NAME}"
    )
    manager.page(f"/cases/backlog?{query}")
    manager.page(f"/cases/backlog?{query}", htmx=True)
    manager.post("/cases/backlog", {"q": NAME, "window": "2"}, htmx=True)
    details = [event.detail for event in _views(start)]
    shape = (
        f"list=backlog setting=yes provider={provider.id} unallocated=ep_advice "
        "flags=looked_after,phase_transfer band=over_26 window=8 page=1"
    )
    assert details == [shape, shape, "list=backlog q=yes window=2 page=1"]
    assert [event.provider_id for event in _views(start)] == [provider.id, provider.id, None]
    _nothing_typed_is_kept()


def test_the_allocation_lists(make, client_for):
    provider = make.provider()
    make.allocation(case=make.case(first_name=NAME), provider=provider)
    manager = client_for(Role.MANAGER)
    manager.page(f"/allocations?status=allocated&provider={provider.id}&work_type=ep_advice")
    manager.page(f"/allocations?status={NAME}&work_type={NAME}", htmx=True)
    provider_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    provider_admin.page("/provider/allocations?status=returned")
    views = _views()
    assert [(event.detail, event.provider_id) for event in views] == [
        (
            f"list=allocations provider={provider.id} status=allocated work_type=ep_advice page=1",
            provider.id,
        ),
        ("list=allocations work_type=unlisted page=1", None),
        (f"list=provider_allocations provider={provider.id} status=returned page=1", provider.id),
    ]
    assert views[-1].actor_id == provider_admin.user.id
    _nothing_typed_is_kept()


def test_the_audit_page_names_the_action(make, client_for):
    manager = client_for(Role.MANAGER)
    manager.page("/cases")
    admin = client_for(Role.ADMIN)
    text = admin.page("/audit?action=list_viewed").get_text()
    assert "List viewed" in text
    assert "list=cases page=1" in text
