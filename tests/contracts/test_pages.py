"""The contract pages: the list with headroom, one contract, letting one and changing it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.contracts.services import update_contract
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    Case,
    Contract,
    ContractPrice,
    ContractStatus,
    ContractTurnaround,
    ContractVariation,
    Role,
    WorkType,
)

TODAY = "2025-01-15 12:00:00"


def _text(tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _errors(soup) -> list[tuple[str, str]]:
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None, "no error summary"
    return [(_text(a), a["href"]) for a in summary.select("a")]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


NEW_CONTRACT = {
    "reference": "SEND-EP-01",
    "title": "Locum EP advice",
    "start_on": ["1", "4", "2024"],
    "end_on": ["31", "3", "2026"],
    "original_value": "£850,000",
    "monthly_volume": "100",
    "on_time_target_percent": "90%",
    "max_rework_percent": "10",
    "stated_monthly_capacity": "1,200",
}


# --- adding a contract ---------------------------------------------------------------------------


@freeze_time(TODAY)
def test_a_manager_adds_a_contract(make, client_for):
    provider = make.provider("Lakeside EP")
    make.provider("Closed Ltd", active=False)
    manager = client_for(Role.MANAGER)
    form = manager.page("/contracts/new")
    offered = [_text(o) for o in form.select("#provider option")]
    assert offered == ["Select the provider", "Lakeside EP"]  # active providers only
    response = manager.post("/contracts/new", {**NEW_CONTRACT, "provider": str(provider.id)})
    assert response.status_code == 303
    contract = db.session.scalar(select(Contract))
    assert response.headers["Location"] == f"/contracts/{contract.id}"
    assert (contract.reference, contract.title, contract.provider) == (
        "SEND-EP-01",
        "Locum EP advice",
        provider,
    )
    assert (contract.start_on, contract.end_on) == (date(2024, 4, 1), date(2026, 3, 31))
    assert contract.original_value == Decimal("850000.00")
    assert contract.status is ContractStatus.ACTIVE
    assert (
        contract.monthly_volume,
        contract.on_time_target_percent,
        contract.max_rework_percent,
        contract.stated_monthly_capacity,
    ) == (100, 90, 10, 1200)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_created"))
    assert event.actor_id == manager.user.id and event.object_id == contract.id
    page = manager.page(response.headers["Location"])
    banner = page.select_one(".govuk-notification-banner--success")
    assert "Contract SEND-EP-01 with Lakeside EP has been added" in _text(banner)


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        ({"reference": ""}, "Enter the contract reference", "#reference"),
        (
            {"reference": "x" * 51},
            "Contract reference must be 50 characters or fewer",
            "#reference",
        ),
        ({"title": "Bad\ttitle"}, "Enter the contract title using letters", "#title"),
        ({"provider": ""}, "Select the provider", "#provider"),
        ({"provider": "closed"}, "Select the provider", "#provider"),
        ({"start_on": ["", "", ""]}, "Enter the start date", "#start_on-day"),
        ({"start_on": ["", "4", "2024"]}, "Start date must include a day", "#start_on-day"),
        ({"start_on": ["1", "", ""]}, "Start date must include a month and year", "#start_on-day"),
        ({"start_on": ["31", "2", "2024"]}, "Start date must be a real date", "#start_on-day"),
        (
            {"start_on": ["1", "4", "24"]},
            "The year of the start date must include 4 numbers",
            "#start_on-day",
        ),
        (
            {"start_on": ["1", "4", "1999"]},
            "Start date must be between 2000 and 2099",
            "#start_on-day",
        ),
        ({"start_on": ["1"]}, "Start date must include a month and year", "#start_on-day"),
        (
            {"end_on": ["31", "3", "2024"]},
            "The end date must be on or after the start date",
            "#end_on-day",
        ),
        ({"original_value": ""}, "Enter the contract value", "#original_value"),
        ({"original_value": "lots"}, "Enter the contract value in pounds", "#original_value"),
        ({"original_value": "0.001"}, "no more than 2 decimal places", "#original_value"),
        ({"original_value": "0"}, "Enter a contract value more than £0", "#original_value"),
        ({"original_value": "-5"}, "Enter a contract value more than £0", "#original_value"),
        (
            {"monthly_volume": "ten"},
            "Enter the monthly volume as a whole number, like 100",
            "#monthly_volume",
        ),
        ({"monthly_volume": "-3"}, "Enter the monthly volume as a whole number", "#monthly_volume"),
        (
            {"on_time_target_percent": "101"},
            "On-time target must be 100% or less",
            "#on_time_target_percent",
        ),
        (
            {"stated_monthly_capacity": "1000001"},
            "Provider’s stated monthly capacity must be 100,000 or fewer",
            "#stated_monthly_capacity",
        ),
        (
            {"reference": "send-ep-99 "},
            "A contract with reference send-ep-99 already exists",
            "#reference",
        ),
    ],
)
@freeze_time(TODAY)
def test_add_contract_errors(make, client_for, changes, message, href):
    provider = make.provider("Lakeside EP")
    closed = make.provider("Closed Ltd", active=False)
    make.contract(reference="SEND-EP-99")
    manager = client_for(Role.MANAGER)
    data = {**NEW_CONTRACT, "provider": str(provider.id), **changes}
    if data["provider"] == "closed":
        data["provider"] = str(closed.id)
    response = manager.post("/contracts/new", data)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: Add a contract")
    errors = _errors(soup)
    assert len(errors) == 1, errors
    assert message in errors[0][0] and errors[0][1] == href
    # The summary links to a box on the page, and that box shows the message too.
    assert soup.select_one(href) is not None
    assert message in _text(soup.select_one(".govuk-error-message"))
    assert _count(Contract) == 1


@freeze_time(TODAY)
def test_what_was_typed_is_shown_back(make, client_for):
    provider = make.provider("Lakeside EP")
    manager = client_for(Role.MANAGER)
    data = {
        **NEW_CONTRACT,
        "provider": str(provider.id),
        "original_value": "lots",
        "monthly_volume": "ten",
    }
    soup = manager.soup(manager.post("/contracts/new", data))
    assert soup.select_one("#original_value")["value"] == "lots"
    assert soup.select_one("#monthly_volume")["value"] == "ten"
    assert soup.select_one("#reference")["value"] == "SEND-EP-01"
    assert soup.select_one("#start_on-year")["value"] == "2024"
    assert soup.select_one("#provider option[selected]")["value"] == str(provider.id)


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def two_contracts(make):
    """Lakeside: £10,000 at £1,000 a piece, one piece accepted and one open (headroom £8,000);
    Riverside: suspended, £5,000 plus a £1,000 variation, one open piece at £7,000 (over)."""
    lakeside = make.provider("Lakeside EP")
    riverside = make.provider("Riverside Therapy")
    a = make.contract(
        provider=lakeside, reference="A-1", value="10000", prices={"ep_advice": "1000"}
    )
    b = make.contract(
        provider=riverside,
        reference="B-1",
        value="5000",
        prices={"ep_advice": "7000"},
        status=ContractStatus.SUSPENDED,
    )
    db.session.add(
        ContractVariation(
            contract=b,
            amount=Decimal("1000"),
            approved_on=date(2024, 10, 1),
            reason="More work",
            approval_reference="Board",
        )
    )
    db.session.commit()
    make.allocation(
        provider=lakeside,
        contract=a,
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 9, 1),
        accepted_on=date(2024, 9, 2),
    )
    make.allocation(provider=lakeside, contract=a)
    make.allocation(provider=riverside, contract=b)
    make.allocation(provider=riverside, contract=b, work_type="ot_advice")  # no price
    return a, b


def _row(soup, contract) -> list[str]:
    row = soup.select_one(f"#contract-{contract.id}")
    return [_text(cell) for cell in row.select("th, td")]


@freeze_time(TODAY)
def test_the_list_shows_value_spend_and_headroom(two_contracts, client_for):
    a, b = two_contracts
    manager = client_for(Role.MANAGER)
    soup = manager.page("/contracts")
    assert _row(soup, a) == [
        "A-1 EHC needs assessment advice",
        "Lakeside EP",
        "1 Apr 2024 to 31 Mar 2026",
        "Active",
        "£10,000.00",
        "£1,000.00",
        "£1,000.00",
        "£8,000.00",
    ]
    assert _row(soup, b) == [
        "B-1 EHC needs assessment advice",
        "Riverside Therapy",
        "1 Apr 2024 to 31 Mar 2026",
        "Suspended",
        "£6,000.00",
        "£0.00",
        "£7,000.00",
        "−£1,000.00 Over the value 1 piece of work not costed",
    ]
    assert soup.select_one(f"#contract-{a.id} a")["href"] == f"/contracts/{a.id}"
    total = [_text(c) for c in soup.select("#contract-total th, #contract-total td")]
    assert total == [
        "Total of these contracts",
        "£16,000.00",
        "£1,000.00",
        "£8,000.00",
        "£7,000.00",
    ]
    # Active contracts come first.
    assert [_text(a) for a in soup.select("#contract-list tbody th a")] == ["A-1", "B-1"]
    button = soup.select_one('a.govuk-button[href="/contracts/new"]')
    assert _text(button) == "Add a contract"


@freeze_time(TODAY)
def test_the_list_filters_by_provider_and_status(two_contracts, client_for):
    a, b = two_contracts
    monitor = client_for(Role.MONITOR)
    by_provider = monitor.page(f"/contracts?provider={b.provider_id}")
    assert [_text(x) for x in by_provider.select("#contract-list tbody th a")] == ["B-1"]
    assert _text(by_provider.select_one("#contract-count")) == "1 contract"
    assert by_provider.select_one("#contract-total") is None
    by_status = monitor.page("/contracts?status=active", htmx=True)
    assert [_text(x) for x in by_status.select("#contract-list tbody th a")] == ["A-1"]
    assert by_status.select_one("form") is None  # only the results
    ended = monitor.page("/contracts?status=ended")
    assert "No contracts match these filters" in _text(ended)
    # Nonsense filters are ignored rather than failing.
    everything = monitor.page("/contracts?status=nonsense&provider=x")
    assert _text(everything.select_one("#contract-count")) == "2 contracts"
    # Monitors read, but are not offered changes.
    assert everything.select_one('a[href="/contracts/new"]') is None


# --- one contract ------------------------------------------------------------------------------


@pytest.fixture
def contract(make):
    lakeside = make.provider("Lakeside EP")
    contract = make.contract(
        provider=lakeside,
        reference="SEND-EP-01",
        title="Locum EP advice",
        value="850000",
        prices={"ep_advice": "1200", "plan_writing": "700"},
        monthly_volume=100,
        on_time_target_percent=90,
    )
    make.price(contract, "ep_advice", "1300", date(2024, 12, 1))
    make.price(contract, "ep_advice", "1400", date(2025, 4, 1))
    for amount, approved, reason, ref in (
        ("646000", date(2024, 12, 12), "Backlog larger", "Executive Board 12 December 2024"),
        ("-6000", date(2024, 10, 1), "Fewer plans", "Director 1 October 2024"),
    ):
        db.session.add(
            ContractVariation(
                contract=contract,
                amount=Decimal(amount),
                approved_on=approved,
                reason=reason,
                approval_reference=ref,
            )
        )
    db.session.add(
        ContractTurnaround(contract=contract, work_type=make.work_type("ep_advice"), days=28)
    )
    db.session.commit()
    make.allocation(
        provider=lakeside,
        contract=contract,
        allocated_on=date(2024, 11, 30),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 12, 20),
        accepted_on=date(2025, 1, 2),
    )
    make.allocation(provider=lakeside, contract=contract, allocated_on=date(2024, 12, 1))
    make.allocation(
        provider=lakeside, contract=contract, work_type="ot_advice", allocated_on=date(2024, 12, 2)
    )
    return contract


def _pairs(soup, selector) -> dict[str, str]:
    rows = soup.select(f"{selector} .govuk-summary-list__row")
    return {
        _text(r.select_one(".govuk-summary-list__key")): _text(
            r.select_one(".govuk-summary-list__value")
        )
        for r in rows
    }


def _table(soup, selector) -> list[list[str]]:
    return [[_text(c) for c in row.select("th, td")] for row in soup.select(f"{selector} tbody tr")]


@freeze_time(TODAY)
def test_the_contract_page(app, contract, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/contracts/{contract.id}")
    assert _text(soup.h1) == "Contract SEND-EP-01"
    details = _pairs(soup, "#contract-details")
    assert details["Title"].startswith("Locum EP advice")
    assert details["Provider"] == "Lakeside EP"
    assert details["Runs"].startswith("1 April 2024 to 31 March 2026")
    assert details["Status"].startswith("Active")
    assert details["Original value"] == "£850,000.00"
    assert details["Current value"] == "£1,490,000.00"
    money = _pairs(soup, "#headroom")
    assert money["Current value"] == "£1,490,000.00"
    assert money["Actual"].startswith("£1,200.00 ")  # allocated 30 November at £1,200
    assert money["Committed"].startswith("£1,300.00 ")  # allocated 1 December at £1,300
    assert money["Headroom"].startswith("£1,487,500.00 ")
    assert money["Not costed"] == "1 piece of work"
    assert "1 piece of work under this contract had no price" in _text(soup)
    assert _table(soup, "#price-list") == [
        ["Draft EHC plan", "From 1 April 2024", "£700.00", "In force"],
        [
            "Educational psychology advice",
            "1 April 2024 to 30 November 2024",
            "£1,200.00",
            "Replaced",
        ],
        [
            "Educational psychology advice",
            "1 December 2024 to 31 March 2025",
            "£1,300.00",
            "In force",
        ],
        ["Educational psychology advice", "From 1 April 2025", "£1,400.00", "Not started"],
    ]
    assert _table(soup, "#variation-list") == [
        ["1 April 2024", "Original value", "£850,000.00", "£850,000.00"],
        [
            "1 October 2024",
            "Fewer plans Approved by Director 1 October 2024",
            "−£6,000.00",
            "£844,000.00",
        ],
        [
            "12 December 2024",
            "Backlog larger Approved by Executive Board 12 December 2024",
            "+£646,000.00",
            "£1,490,000.00",
        ],
    ]
    assert _text(soup.select_one("#current-value")) == "£1,490,000.00"
    targets = _pairs(soup, "#target-list")
    assert targets["Monthly volume"] == "100 a month"
    assert targets["On-time target"] == "90% returned within the turnaround"
    assert targets["Maximum rework"] == "Not set"
    turnarounds = {row[0]: row[1:] for row in _table(soup, "#turnaround-list")}
    assert turnarounds["Educational psychology advice"] == ["28 days", "Contract target"]
    assert turnarounds["Draft EHC plan"] == [
        "42 days",
        "Standard the type of work’s own turnaround",
    ]
    # A manager can change it from here.
    links = {a["href"] for a in soup.select("main a")}
    assert {
        f"/contracts/{contract.id}/edit",
        f"/contracts/{contract.id}/prices/new",
        f"/contracts/{contract.id}/variations/new",
        f"/contracts/{contract.id}/turnarounds",
    } <= links
    pack = soup.select_one("#pack-link")
    if "reports.pack" in app.view_functions:
        assert pack is not None and pack["href"].endswith("contract=SEND-EP-01")
    else:
        assert pack is None


@freeze_time(TODAY)
def test_a_monitor_reads_the_contract_but_cannot_change_it(contract, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/contracts/{contract.id}")
    assert _pairs(soup, "#headroom")["Current value"] == "£1,490,000.00"
    hrefs = {a["href"] for a in soup.select("main a")}
    assert not [h for h in hrefs if h.startswith(f"/contracts/{contract.id}/")]
    assert "Change" not in _text(soup.select_one("#contract-details"))
    for url in ("edit", "prices/new", "variations/new", "turnarounds"):
        assert monitor.get(f"/contracts/{contract.id}/{url}").status_code == 403
        assert monitor.post(f"/contracts/{contract.id}/{url}", {}).status_code == 403
    assert monitor.get("/contracts/new").status_code == 403
    assert monitor.post("/contracts/new", {}).status_code == 403
    assert monitor.get("/contracts/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_providers_see_no_contracts(contract, client_for, role):
    outsider = client_for(role, provider=contract.provider)
    assert outsider.get("/contracts").status_code == 403
    assert outsider.get(f"/contracts/{contract.id}").status_code == 403


@freeze_time(TODAY)
def test_headroom_over_the_value_is_warned(make, client_for):
    contract = make.contract(reference="SMALL", value="1000", prices={"ep_advice": "1500"})
    make.allocation(provider=contract.provider, contract=contract)
    soup = client_for(Role.MONITOR).page(f"/contracts/{contract.id}")
    assert _pairs(soup, "#headroom")["Headroom"].startswith("−£500.00")
    assert "Spending under this contract is £500.00 more than its value" in _text(soup)


@freeze_time(TODAY)
def test_a_contract_without_prices_says_so(make, client_for):
    contract = make.contract(reference="BARE")
    soup = client_for(Role.MANAGER).page(f"/contracts/{contract.id}")
    assert "No prices yet" in _text(soup.select_one("#price-list"))
    assert _pairs(soup, "#target-list")["Monthly volume"] == "Not set"


# --- changing a contract ------------------------------------------------------------------


def _edit_data(soup) -> dict[str, object]:
    """The edit form as the browser would send it back unchanged."""
    form = soup.select_one("main form")
    data: dict[str, object] = {}
    for field in form.select("input"):
        name = field.get("name")
        if not name or field.get("type") == "submit":
            continue
        if field.get("type") == "radio":
            if field.has_attr("checked"):
                data[name] = field["value"]
            continue
        value = field.get("value", "")
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value
    return data


@freeze_time(TODAY)
def test_a_manager_edits_the_contract(contract, client_for):
    manager = client_for(Role.MANAGER)
    form = manager.page(f"/contracts/{contract.id}/edit")
    data = _edit_data(form)
    assert data["title"] == "Locum EP advice"
    assert data["start_on"] == ["01", "04", "2024"]
    assert data["status"] == "active" and data["version"] == "1"
    assert data["monthly_volume"] == "100" and data["max_rework_percent"] == ""
    data.update(
        title="Locum EP advice and plans",
        end_on=["30", "6", "2026"],
        status="suspended",
        max_rework_percent="15",
        monthly_volume="",
    )
    response = manager.post(f"/contracts/{contract.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/contracts/{contract.id}"
    db.session.refresh(contract)
    assert contract.title == "Locum EP advice and plans"
    assert contract.end_on == date(2026, 6, 30)
    assert contract.status is ContractStatus.SUSPENDED
    assert (contract.monthly_volume, contract.max_rework_percent) == (None, 15)
    assert contract.version == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_updated"))
    assert event.detail == (
        "fields=title,end_on,status,monthly_volume,max_rework_percent status=suspended"
    )
    page = manager.page(response.headers["Location"])
    assert "Contract SEND-EP-01 has been updated" in _text(
        page.select_one(".govuk-notification-banner--success")
    )
    # Saving again unchanged changes nothing and says so.
    again = _edit_data(manager.page(f"/contracts/{contract.id}/edit"))
    assert manager.post(f"/contracts/{contract.id}/edit", again).status_code == 303
    assert "Nothing was changed" in _text(manager.page(f"/contracts/{contract.id}"))
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "contract_updated")
        )
        == 1
    )


@freeze_time(TODAY)
def test_a_stale_edit_overwrites_nothing(contract, client_for):
    manager = client_for(Role.MANAGER)
    data = _edit_data(manager.page(f"/contracts/{contract.id}/edit"))
    # Someone else saves first.
    update_contract(
        contract,
        title="Their title",
        start_on=contract.start_on,
        end_on=contract.end_on,
        status=ContractStatus.ENDED,
        monthly_volume=50,
        on_time_target_percent=contract.on_time_target_percent,
        max_rework_percent=None,
        stated_monthly_capacity=None,
        expected_version=1,
        actor=None,
    )
    db.session.commit()
    data.update(title="My title", monthly_volume="80")
    response = manager.post(f"/contracts/{contract.id}/edit", data)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert "Someone else changed this contract" in _text(soup.select_one("#conflict"))
    db.session.refresh(contract)
    assert (contract.title, contract.monthly_volume, contract.status) == (
        "Their title",
        50,
        ContractStatus.ENDED,
    )
    # The form now shows their version, ready to save over knowingly.
    shown = _edit_data(soup)
    assert shown["title"] == "Their title" and shown["version"] == "2"
    assert shown["status"] == "ended"


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        ({"title": ""}, "Enter the contract title", "#title"),
        ({"status": ""}, "Select the contract’s status", "#status"),
        ({"status": "cancelled"}, "Select the contract’s status", "#status"),
        (
            {"end_on": ["1", "3", "2024"]},
            "The end date must be on or after the start date",
            "#end_on-day",
        ),
        (
            {"start_on": ["2", "12", "2024"]},
            "Work was allocated under this contract on 30 November 2024",
            "#start_on-day",
        ),
        (
            {"max_rework_percent": "150"},
            "Maximum rework must be 100% or less",
            "#max_rework_percent",
        ),
    ],
)
@freeze_time(TODAY)
def test_edit_errors(contract, client_for, changes, message, href):
    manager = client_for(Role.MANAGER)
    data = {**_edit_data(manager.page(f"/contracts/{contract.id}/edit")), **changes}
    response = manager.post(f"/contracts/{contract.id}/edit", data)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: Change contract SEND-EP-01")
    errors = _errors(soup)
    assert message in errors[0][0] and errors[0][1] == href
    db.session.refresh(contract)
    assert contract.version == 1 and contract.title == "Locum EP advice"


@freeze_time(TODAY)
def test_adding_a_price(contract, client_for):
    manager = client_for(Role.MANAGER)
    page = manager.page(f"/contracts/{contract.id}/prices/new")
    assert ["Draft EHC plan", "From 1 April 2024", "£700.00", "In force"] in _table(
        page, "#price-list"
    )
    response = manager.post(
        f"/contracts/{contract.id}/prices/new",
        {
            "work_type": "plan_writing",
            "unit_price": "£750.50",
            "effective_from": ["1", "2", "2025"],
        },
    )
    assert response.status_code == 303
    price = db.session.scalar(
        select(ContractPrice).where(ContractPrice.effective_from == date(2025, 2, 1))
    )
    assert price.unit_price == Decimal("750.50") and price.work_type.code == "plan_writing"
    soup = manager.page(f"/contracts/{contract.id}")
    assert "Draft EHC plan: £750.50 for work allocated from 1 February 2025" in _text(
        soup.select_one(".govuk-notification-banner--success")
    )
    assert ["Draft EHC plan", "From 1 February 2025", "£750.50", "Not started"] in _table(
        soup, "#price-list"
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_price_set"))
    assert event.actor_id == manager.user.id


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        ({"work_type": ""}, "Select the type of work", "#work_type"),
        ({"work_type": "astrology"}, "Select the type of work", "#work_type"),
        ({"unit_price": ""}, "Enter the unit price", "#unit_price"),
        ({"unit_price": "-1"}, "Enter a price of £0 or more", "#unit_price"),
        ({"unit_price": "12.345"}, "no more than 2 decimal places", "#unit_price"),
        (
            {"effective_from": ["", "", ""]},
            "Enter the date the price applies from",
            "#effective_from-day",
        ),
        (
            {"effective_from": ["1", "12", "2024"]},
            "There is already a price for educational psychology advice from 1 December 2024",
            "#effective_from-day",
        ),
        (
            {"effective_from": ["1", "4", "2026"]},
            "The price must apply from a date the contract runs, 1 April 2024 to 31 March 2026",
            "#effective_from-day",
        ),
    ],
)
@freeze_time(TODAY)
def test_price_errors(contract, client_for, changes, message, href):
    manager = client_for(Role.MANAGER)
    data = {"work_type": "ep_advice", "unit_price": "1500", "effective_from": ["1", "2", "2025"]}
    response = manager.post(f"/contracts/{contract.id}/prices/new", {**data, **changes})
    assert response.status_code == 200
    errors = _errors(manager.soup(response))
    assert message in errors[0][0] and errors[0][1] == href
    assert _count(ContractPrice) == 4


@freeze_time(TODAY)
def test_recording_a_variation(contract, client_for):
    manager = client_for(Role.MANAGER)
    page = manager.page(f"/contracts/{contract.id}/variations/new")
    assert "The contract’s value is now £1,490,000.00" in _text(page.select_one("#current-value"))
    response = manager.post(
        f"/contracts/{contract.id}/variations/new",
        {
            "approved_on": ["15", "1", "2025"],
            "amount": "\u2212£90,000",
            "reason": "Backlog cleared faster",
            "approval_reference": "Executive Board 15 January 2025",
        },
    )
    assert response.status_code == 303
    soup = manager.page(f"/contracts/{contract.id}")
    assert (
        "Variation of −£90,000.00 recorded. The value of contract SEND-EP-01 is now "
        "£1,400,000.00" in _text(soup.select_one(".govuk-notification-banner--success"))
    )
    assert _table(soup, "#variation-list")[-1] == [
        "15 January 2025",
        "Backlog cleared faster Approved by Executive Board 15 January 2025",
        "−£90,000.00",
        "£1,400,000.00",
    ]
    assert _pairs(soup, "#headroom")["Current value"] == "£1,400,000.00"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_varied"))
    assert event.detail == "amount=-90000.00 ref=Executive Board 15 January 2025"


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        (
            {"approved_on": ["16", "1", "2025"]},
            "The approval date must be today or in the past",
            "#approved_on-day",
        ),
        (
            {"approved_on": ["", "1", "2025"]},
            "Date approved must include a day",
            "#approved_on-day",
        ),
        ({"amount": "0"}, "Enter an amount that is not £0", "#amount"),
        ({"amount": ""}, "Enter the amount of the variation", "#amount"),
        ({"amount": "-1490000"}, "would take the contract value to £0 or less", "#amount"),
        ({"reason": "  "}, "Enter the reason for the variation", "#reason"),
        ({"approval_reference": ""}, "Enter the approval reference", "#approval_reference"),
    ],
)
@freeze_time(TODAY)
def test_variation_errors(contract, client_for, changes, message, href):
    manager = client_for(Role.MANAGER)
    data = {
        "approved_on": ["15", "1", "2025"],
        "amount": "1000",
        "reason": "More work",
        "approval_reference": "Board",
    }
    response = manager.post(f"/contracts/{contract.id}/variations/new", {**data, **changes})
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: Record a variation")
    errors = _errors(soup)
    assert message in errors[0][0] and errors[0][1] == href
    assert _count(ContractVariation) == 2


@freeze_time(TODAY)
def test_setting_a_turnaround_target(contract, client_for, make):
    manager = client_for(Role.MANAGER)
    page = manager.page(f"/contracts/{contract.id}/turnarounds")
    rows = {row[0]: row[1:] for row in _table(page, "#turnaround-list")}
    assert rows["Educational psychology advice"] == ["28 days", "Contract target"]
    for days in ("35", "30"):
        response = manager.post(
            f"/contracts/{contract.id}/turnarounds", {"work_type": "ep_advice", "days": days}
        )
        assert response.status_code == 303
    response = manager.post(
        f"/contracts/{contract.id}/turnarounds", {"work_type": "plan_writing", "days": "21"}
    )
    soup = manager.page(f"/contracts/{contract.id}")
    banners = [_text(b) for b in soup.select(".govuk-notification-banner--success")]
    assert banners == [
        f"Success {kind}: turnaround target set to {days} days under contract SEND-EP-01"
        for kind, days in (
            ("Educational psychology advice", 35),
            ("Educational psychology advice", 30),
            ("Draft EHC plan", 21),
        )
    ]
    rows = {row[0]: row[1:] for row in _table(soup, "#turnaround-list")}
    assert rows["Educational psychology advice"] == ["30 days", "Contract target"]
    assert rows["Draft EHC plan"] == ["21 days", "Contract target"]
    assert _count(ContractTurnaround) == 2
    # New work under the contract is due by its target.
    from provider_portal.allocations.services import allocate

    plan = db.session.scalar(select(WorkType).where(WorkType.code == "plan_writing"))
    allocation = allocate(make.case(), contract.provider, plan, actor=None)
    assert allocation.due_on == date(2025, 1, 15) + timedelta(days=21)


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        ({"work_type": ""}, "Select the type of work", "#work_type"),
        ({"days": ""}, "Enter the turnaround in days", "#days"),
        ({"days": "six weeks"}, "Enter the turnaround as a whole number of days", "#days"),
        ({"days": "0"}, "Enter a turnaround from 1 to 365 days", "#days"),
        ({"days": "366"}, "Enter a turnaround from 1 to 365 days", "#days"),
    ],
)
@freeze_time(TODAY)
def test_turnaround_errors(contract, client_for, changes, message, href):
    manager = client_for(Role.MANAGER)
    data = {"work_type": "ep_advice", "days": "30", **changes}
    response = manager.post(f"/contracts/{contract.id}/turnarounds", data)
    assert response.status_code == 200
    errors = _errors(manager.soup(response))
    assert message in errors[0][0] and errors[0][1] == href
    days = db.session.scalar(select(ContractTurnaround.days))
    assert days == 28


def test_missing_contracts_are_404(client_for):
    manager = client_for(Role.MANAGER)
    for url in ("", "/edit", "/prices/new", "/variations/new", "/turnarounds"):
        assert manager.get(f"/contracts/424242{url}").status_code == 404


# --- queries -----------------------------------------------------------------------------------


def _grow(make, contracts: int, per_contract: int, batch: str) -> Contract:
    first = None
    for n in range(contracts):
        provider = make.provider(f"Provider {batch}{n}")
        contract = make.contract(
            provider=provider, reference=f"Q{batch}{n}", prices={"ep_advice": "1000"}
        )
        make.price(contract, "ep_advice", "1100", date(2024, 9, 1))
        db.session.add(
            ContractVariation(
                contract=contract,
                amount=Decimal("100"),
                approved_on=date(2024, 10, 1),
                reason="r",
                approval_reference="a",
            )
        )
        db.session.add(
            ContractTurnaround(contract=contract, work_type=make.work_type("ep_advice"), days=30)
        )
        for i in range(per_contract):
            case = Case(
                case_ref=f"QC{batch}{n}-{i}",
                first_name="Sam",
                last_name="Count",
                date_of_birth=date(2015, 1, 1),
                request_received_on=date(2024, 5, 1),
            )
            db.session.add(
                Allocation(
                    case=case,
                    provider=provider,
                    contract=contract,
                    work_type=make.work_type("ep_advice"),
                    allocated_on=date(2024, 8, 1) + timedelta(days=i),
                    due_on=date(2024, 10, 1),
                    status=AllocationStatus.ALLOCATED,
                )
            )
        db.session.commit()
        first = first or contract
    assert first is not None
    return first


@pytest.mark.parametrize("url", ["/contracts", "/contracts?status=active", "/contracts/{id}"])
@freeze_time(TODAY)
def test_contract_pages_run_the_same_queries_whatever_the_data(
    make, client_for, count_queries, url
):
    manager = client_for(Role.MANAGER)
    url = url.format(id=_grow(make, 2, 2, "a").id)
    count_queries.clear()
    manager.page(url)
    small = len(count_queries)
    _grow(make, 25, 8, "b")
    count_queries.clear()
    soup = manager.page(url)
    large = len(count_queries)
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    assert large <= 12
    if not url.startswith("/contracts/"):
        assert len(soup.select("#contract-list tbody tr")) == 27
