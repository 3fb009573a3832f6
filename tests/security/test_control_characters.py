"""Control characters are refused in one place, before any route reads the request: a 400 with
the GOV.UK error page. Tabs are allowed anywhere, line breaks only in a posted form (a textarea
can hold them)."""

from __future__ import annotations

import pytest

from provider_portal.models import Role


@pytest.fixture
def manager(client_for):
    return client_for(Role.MANAGER)


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x1b[31m", "\x7f", "\x08", "a\nb", "a\rb"])
def test_a_control_character_in_the_query_string_is_refused(manager, value):
    response = manager.get("/allocations", query_string={"status": value})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "contains a character the service cannot accept" in text
    assert "govuk-heading-l" in text


def test_a_tab_in_the_query_string_is_allowed(manager):
    assert manager.get("/allocations", query_string={"status": "a\tb"}).status_code == 200


def test_a_control_character_in_a_parameter_name_or_the_path_is_refused(manager):
    assert manager.get("/allocations", query_string={"st\x00atus": "open"}).status_code == 400
    assert manager.get("/account/invitation/%00").status_code == 400


def test_an_htmx_request_gets_the_message_in_the_main_area(manager):
    response = manager.get("/allocations", query_string={"status": "\x00"}, htmx=True)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#main-content"


def test_a_posted_form_may_hold_line_breaks_and_tabs_but_not_nul(manager, make):
    allocation = make.allocation()
    refused = manager.post(
        f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "Moved\x00away"}
    )
    assert refused.status_code == 400
    refused = manager.post(f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "\x0c"})
    assert refused.status_code == 400
    done = manager.post(
        f"/allocations/{allocation.id}/withdraw",
        {"withdraw-reason": "The family moved away.\r\n\tThe new council takes it on."},
    )
    assert done.status_code == 303
