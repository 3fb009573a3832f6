"""A child's name typed into the case list's or the board's search box never goes into a URL:
the box is posted and the results are answered in place; the other filters stay in the URL,
shareable. Without JavaScript too, and across pages of results."""

from __future__ import annotations

import pytest

from provider_portal.models import Role

NAME = "Zephyrine"
LISTS = [("/cases", "cases.index"), ("/cases/backlog", "cases.board")]


@pytest.fixture
def manager(make, client_for):
    make.case(case_ref="OTHER1", first_name="Sam", last_name="Other")
    for n in range(51):  # a second page of results
        make.case(case_ref=f"ZQ{n:03d}", first_name=NAME, last_name=f"Quill{n}")
    return client_for(Role.MANAGER)


def _no_name_in_any_address(response) -> None:
    assert NAME.lower() not in response.headers.get("Location", "").lower()
    for header in ("HX-Push-Url", "HX-Replace-Url", "HX-Location"):
        assert NAME.lower() not in response.headers.get(header, "").lower()


@pytest.mark.parametrize(("url", "endpoint"), LISTS)
def test_a_search_is_answered_in_place_and_pages_by_posting(manager, url, endpoint):
    response = manager.post(url, {"q": NAME})
    assert response.status_code == 200
    _no_name_in_any_address(response)
    soup = manager.soup(response)
    assert "51 cases" in soup.get_text()
    assert soup.select_one("#q")["value"] == NAME  # the person sees what they searched for
    for tag in soup.find_all(href=True):
        assert NAME.lower() not in tag["href"].lower(), tag
    for tag in soup.find_all(action=True):
        assert NAME.lower() not in tag["action"].lower(), tag
    form = soup.select_one("form[role=search]")
    assert form["method"] == "post" and form["action"] == url
    # The next page is a button that posts the search again, not a link carrying it.
    button = soup.select_one(".govuk-pagination__next button")
    assert (button["form"], button["name"], button["value"]) == (form["id"], "page", "2")
    second = manager.post(url, {"q": NAME, "page": "2"})
    assert second.status_code == 200
    current = manager.soup(second).select_one(".govuk-pagination__item--current")
    assert current.get_text() == "Page 2 of 2"


@pytest.mark.parametrize(("url", "endpoint"), LISTS)
def test_the_other_filters_stay_in_the_url(manager, url, endpoint):
    field = {"/cases": {"allocation": "unallocated"}, "/cases/backlog": {"window": "8"}}[url]
    name, value = next(iter(field.items()))
    # Without JavaScript, a posted form with an empty search box goes to the shareable URL.
    response = manager.post(url, {"q": "", **field})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{url}?{name}={value}"
    # With htmx, the results are swapped in and the address bar shows the filters alone.
    swapped = manager.post(url, {"q": NAME, **field}, htmx=True)
    assert swapped.status_code == 200 and "<html" not in swapped.get_data(as_text=True)
    assert swapped.headers["HX-Replace-Url"] == f"{url}?{name}={value}"
    _no_name_in_any_address(swapped)
    changed = manager.post(url, {"q": "", **field}, htmx=True)
    assert changed.headers["HX-Push-Url"] == f"{url}?{name}={value}"


@pytest.mark.parametrize(("url", "endpoint"), LISTS)
def test_a_search_in_a_query_string_is_not_read(manager, url, endpoint):
    text = manager.get(f"{url}?q={NAME}").get_data(as_text=True)
    assert "OTHER1" in text  # the whole list: the name was ignored
    assert f'value="{NAME}"' not in text


def test_a_search_posted_without_a_token_is_refused(manager):
    assert manager.post("/cases", {"q": NAME}, csrf=False).status_code == 400
