"""Administrators edit the family letters' wording: placeholders are checked before anything is
saved, and an edit begun from an older version is refused rather than overwriting."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.letters import DEFAULT_TEMPLATES, PLACEHOLDERS, check_template
from provider_portal.models import AuditEvent, LetterTemplate, Role

URL = "/admin/letter-templates/work_accepted"


def _form(client, url: str = URL) -> dict[str, object]:
    """The form as the page drew it: title, body, version, nonce."""
    page = client.page(url)
    data: dict[str, object] = {
        field["name"]: field.get("value", "") for field in page.select("form input[name]")
    }
    data["body"] = page.select_one("textarea[name=body]").get_text()
    return data


def _saved() -> list[tuple[str, str, int]]:
    db.session.rollback()  # see what the requests committed
    return [(t.title, t.body, t.version) for t in db.session.scalars(select(LetterTemplate))]


def test_the_list_shows_both_letters_as_installed(client_for) -> None:
    rows = (
        client_for(Role.ADMIN)
        .page("/admin/letter-templates")
        .select("#letter-template-list tbody tr")
    )
    assert [r.select("td")[1].get_text(strip=True) for r in rows] == [
        DEFAULT_TEMPLATES["work_accepted"][0],
        DEFAULT_TEMPLATES["exception_parent_told"][0],
    ]
    assert {r.select("td")[2].get_text(strip=True) for r in rows} == {"As installed"}


def test_saving_new_wording_is_recorded_and_audited(client_for) -> None:
    admin = client_for(Role.ADMIN)
    data = _form(admin)
    assert data["version"] == "0" and data["body"] == DEFAULT_TEMPLATES["work_accepted"][1]
    data.update(title="Your child's {work_type}", body="{provider} writes, due {due_date}.")
    response = admin.post(URL, data)
    assert response.status_code == 303
    assert _saved() == [("Your child's {work_type}", "{provider} writes, due {due_date}.", 1)]
    assert db.session.scalar(
        select(func.count()).where(AuditEvent.action == "letter_template_changed")
    )
    # Edited again from the page as now drawn: version 2.
    data = _form(admin)
    data["body"] = "Due {due_date}."
    assert admin.post(URL, data).status_code == 303
    assert _saved()[0][1:] == ("Due {due_date}.", 2)
    assert "Changed" in admin.page("/admin/letter-templates").get_text()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("body", "Dear {parent_name},", "{parent_name} is not a placeholder this letter can use"),
        ("body", "Due {due_date", "There is a { or } without its partner"),
        ("body", "Due } soon", "There is a { or } without its partner"),
        ("body", "Due {due_date:%d}", "{due_date:%d} is not a placeholder"),
        ("body", "Due {due_date!r}", "{due_date!r} is not a placeholder"),
        ("body", "Period {exception_period}", "{exception_period} is not a placeholder"),
        ("title", "About {case.id}", "{case.id} is not a placeholder"),
        ("title", "", "Enter the letter's title"),
    ],
)
def test_a_template_that_cannot_be_filled_in_is_not_saved(client_for, field, text, message):
    admin = client_for(Role.ADMIN)
    data = _form(admin)
    data[field] = text
    response = admin.post(URL, data)
    assert response.status_code == 200
    soup = admin.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary")
    assert message in summary.get_text()
    assert summary.select_one("a")["href"] == f"#{field}"
    assert _saved() == []


def test_an_edit_from_an_older_version_is_refused(client_for, make) -> None:
    admin, other = client_for(Role.ADMIN), client_for(make.user(Role.ADMIN))
    first, second = _form(admin), _form(other)
    first["body"] = "First: {due_date}"
    second["body"] = "Second: {due_date}"
    assert admin.post(URL, first).status_code == 303
    response = other.post(URL, second)
    assert response.status_code == 200
    page = other.soup(response)
    assert "Someone else changed this letter" in page.get_text()
    assert page.select_one("textarea[name=body]").get_text() == "First: {due_date}"
    assert page.select_one("input[name=version]")["value"] == "1"
    assert _saved() == [(DEFAULT_TEMPLATES["work_accepted"][0], "First: {due_date}", 1)]


def test_the_default_wording_uses_only_its_own_placeholders() -> None:
    for kind, (title, body) in DEFAULT_TEMPLATES.items():
        check_template(kind, title)
        check_template(kind, body)
        assert set(PLACEHOLDERS[kind]) >= {"council_contact", "case_ref"}


def test_the_exception_letter_has_its_own_page(client_for) -> None:
    page = client_for(Role.ADMIN).page("/admin/letter-templates/exception_parent_told")
    listed = page.select_one("#placeholder-list").get_text()
    assert "{exception_reason}" in listed and "{due_date}" not in listed
    assert client_for(Role.ADMIN).get("/admin/letter-templates/nonsense").status_code == 404
