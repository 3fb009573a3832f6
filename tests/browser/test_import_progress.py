"""A manager imports a file with a mistake from the web page: the upload answers at once with
the progress page, the count updates in place while the import runs, and when it ends the
problems replace it, with the error summary focused, without a page load."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from provider_portal.imports import jobs as import_jobs
from provider_portal.models import Role
from tests.browser.accessibility import AccessibilityLog
from tests.browser.conftest import PageProblems
from tests.browser.test_whole_loop import assert_same_page, mark_page, sign_in
from tests.factories import Factory
from tests.imports.files import CASE_HEADER, write_csv

pytestmark = pytest.mark.browser


def test_an_import_with_a_mistake_shows_its_progress_then_the_problems(
    page: Page,
    page_problems: PageProblems,
    make: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The import waits after its first count until the test has seen the page polling.
    go_on = threading.Event()
    real = import_jobs.case_import.import_cases

    def held(table: Any, actor: Any, **kwargs: Any) -> Any:
        kwargs["progress"](import_jobs.CHECKING, 0, len(table.rows))
        go_on.wait(timeout=30)
        return real(table, actor, **kwargs)

    monkeypatch.setattr(import_jobs.case_import, "import_cases", held)
    make.user(Role.MANAGER, email="importer@council.test")
    sign_in(page, "importer@council.test")
    page.goto("/cases/import")
    page.get_by_label("Cases").check()
    lines = ("EHC1,Alex,Smith,2015-01-01,2024-08-15", "EHC2,Sam,Jones,31/04/2015,2024-08-15")
    page.set_input_files("#file", str(write_csv(tmp_path, CASE_HEADER, *lines)))
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Importing your file")
    expect(page.get_by_role("status")).to_have_text("Checking rows: 0 of 2")
    expect(page.get_by_role("link", name="Refresh this page")).to_be_visible()
    mark_page(page)
    with page.expect_response(lambda r: "/cases/import/" in r.url and r.status == 200):
        pass  # the count asks for itself again
    go_on.set()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your file was not imported")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The file has 1 problem. Fix it and upload the file again")
    expect(summary).to_be_focused()
    problems = page.locator("#import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("Date of birth must be a real date")
    expect(page).to_have_title("Error: Your file was not imported – Assessment provider portal")
    expect(page.get_by_role("button", name="Import")).to_be_visible()
    assert_same_page(page)
    axe = AccessibilityLog()  # after the poll swapped in the result
    axe.check_widths(page, "import, not imported")
    axe.assert_none()
    page_problems.assert_none()
