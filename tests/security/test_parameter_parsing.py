"""One way to read a number, an id, a month or a date from a request, and what it refuses."""

from __future__ import annotations

import pytest

from provider_portal.errors import ReportError
from provider_portal.forms import new_nonce
from provider_portal.models import Role
from provider_portal.reports.monthly.queries import parse_month
from provider_portal.web import MAX_ID, arg_choice, arg_id, arg_int, page_number, to_id, to_int


@pytest.mark.parametrize(
    "text",
    [None, "", " 7", "7 ", "²", "١", "1e9", "NaN", "0x1f", "+7", "7.0", "9" * 19, "-"],
)
def test_anything_but_ascii_digits_is_not_a_number(text):
    assert to_int(text, -(10**30), 10**30) is None


def test_numbers_are_read_within_their_bounds():
    assert to_int("7", 1, 10) == 7
    assert to_int("-1", -5, 5) == -1
    assert to_int("0", 1, 10) is None
    assert to_int("11", 1, 10) is None
    assert to_id(str(MAX_ID)) == MAX_ID
    assert to_id(str(MAX_ID + 1)) is None
    assert to_id("0") is None


def test_the_query_string_helpers(app):
    query = "page=%C2%B2&size=7&big=99999999999999999999&id=12&status=open&odd=%D9%A1"
    with app.test_request_context(f"/?{query}"):
        assert page_number() == 1
        assert arg_int("size", 10, 1, 50) == 7
        assert arg_int("big", 10, 1, 50) == 10
        assert arg_int("missing", 3, 1, 50) == 3
        assert arg_id("id") == 12
        assert arg_id("big") is None and arg_id("odd") is None
        assert arg_choice("status", {"open", "closed"}) == "open"
        assert arg_choice("odd", {"open", "closed"}, "closed") == "closed"
    with app.test_request_context("/?page=3"):
        assert page_number() == 3


@pytest.mark.parametrize(
    "url",
    [
        "/cases/2147483648",
        "/cases/9223372036854775808",
        "/cases/99999999999999999999",
        "/cases/%D9%A1",  # an Arabic-Indic one
        "/allocations/documents/2147483648",
        "/admin/users/2147483648",
    ],
)
def test_an_id_in_a_url_that_cannot_exist_is_not_found(client_for, url):
    assert client_for(Role.ADMIN).get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page": "²"},
        {"page": "99999999999999999999"},
        {"provider": "²"},
        {"provider": "99999999999999999999"},
        {"provider": "-1"},
    ],
)
def test_a_list_ignores_a_parameter_it_cannot_read(client_for, make, query):
    make.allocation()
    manager = client_for(Role.MANAGER)
    for url in ("/allocations", "/contracts"):
        response = manager.get(url, query_string=query)
        assert response.status_code == 200, url


@pytest.mark.parametrize("bad", ["0001-01", "1899-12", "2101-01", "9999-12", "٢٠٢٤-01"])
def test_a_month_outside_the_reports_years_is_refused(bad):
    with pytest.raises(ReportError):
        parse_month(bad)


def test_report_months_and_dates_out_of_range_are_form_errors(client_for):
    monitor = client_for(Role.MONITOR)
    response = monitor.get("/reports/monthly", query_string={"start": "2024-01", "end": "9999-12"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The last month must be between 1900-01 and 2100-12" in text
    assert 'href="#end"' in text
    response = monitor.get(
        "/reports/pack.csv",
        query_string=[("start", "0001-01"), ("end", "2024-01")],
    )
    assert response.status_code == 400
    assert "The first month must be between 1900-01 and 2100-12" in response.get_data(as_text=True)
    for year in ("9999", "0001", "1899"):
        response = monitor.get(
            "/reports/foi", query_string=[("as_of", "31"), ("as_of", "12"), ("as_of", year)]
        )
        assert response.status_code == 200
        assert "Enter a date between 1 1 1900 and 31 12 2100" in response.get_data(as_text=True)


def test_posted_ids_and_versions_that_are_not_numbers_are_no_500(client_for, make):
    provider = make.provider()
    case = make.case()
    allocation = make.allocation(case=case, provider=provider)
    contract = make.contract(provider=provider)
    manager = client_for(Role.MANAGER)
    provider_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    for value in ("²", "١", "99999999999999999999", "-1"):
        posts = [
            (manager, "/cases/backlog/allocate", {"case_id": value}),
            (
                manager,
                "/cases/backlog/allocate/confirm",
                {"case_id": str(case.id), "confirm-contract": value},
            ),
            (
                manager,
                f"/cases/{case.id}/outcomes/draft-plan",
                {
                    "draft-version": value,
                    "draft-nonce": new_nonce(),
                    "draft-draft_plan_issued_on": ["1", "8", "2024"],
                },
            ),
            (
                manager,
                f"/cases/{case.id}/exceptions",
                {
                    "exception-reason": "missed_appointment",
                    "exception-allocation": value,
                    "exception-starts_on": ["1", "8", "2024"],
                },
            ),
            (
                manager,
                f"/cases/{case.id}/allocations",
                {"work_type": "ep_advice", "provider": str(provider.id), "contract": value},
            ),
            (manager, f"/contracts/{contract.id}/edit", {"version": value}),
            (
                provider_admin,
                f"/provider/allocations/{allocation.id}/assignment",
                {"assign-assigned_to": value},
            ),
        ]
        for client, url, data in posts:
            assert client.post(url, data).status_code < 500, (url, value)
