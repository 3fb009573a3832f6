"""Starting the work through the portal, in real Chromium: the manager adds a case paper and
allocates with it, the provider downloads it and asks a question, the manager answers, the
provider accepts, and the manager produces the family letter."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from provider_portal.models import Role
from tests.browser.accessibility import AccessibilityLog
from tests.browser.conftest import PageProblems
from tests.browser.test_whole_loop import sign_in, sign_out
from tests.factories import Factory
from tests.files import PDF_BYTES

pytestmark = pytest.mark.browser


def test_papers_question_acceptance_and_family_letter(
    page: Page, page_problems: PageProblems, make: Factory, tmp_path: Path
) -> None:
    provider = make.provider("Northbrook Psychology Services")
    make.user(Role.MANAGER, email="manager@council.test", totp=True)
    make.user(Role.PROVIDER_ADMIN, provider=provider, email="admin@northbrook.test")
    case = make.case(case_ref="EHC24-0077", first_name="Amelia", last_name="Hughes")
    axe = AccessibilityLog()  # axe-core after every htmx swap

    # The manager adds the request for assessment to the case.
    sign_in(page, "manager@council.test", two_factor=True)
    page.goto(f"/cases/{case.id}")
    paper_form = page.locator("form", has=page.locator("#paper-title"))
    paper_form.get_by_label("Request for assessment").check()
    page.fill("#paper-title", "EP request form")
    paper = tmp_path / "request.pdf"
    paper.write_bytes(PDF_BYTES)
    page.set_input_files("#paper-file", str(paper))
    page.get_by_role("button", name="Add paper").click()
    expect(page.locator("#paper-table")).to_contain_text("EP request form")
    expect(page.locator("#paper-table")).to_contain_text("Not shared")
    axe.check(page, "case page, paper added")

    # Allocating EP advice shares the papers the work type needs: the request is one of them.
    page.select_option("#work_type", "ep_advice")
    page.select_option("#provider", label="Northbrook Psychology Services")
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator("#case-allocations .govuk-notification-banner")).to_contain_text(
        "Educational psychology advice allocated to Northbrook Psychology Services"
    )
    axe.check(page, "case page, work allocated")
    page.reload()
    expect(page.locator("#paper-table")).to_contain_text(
        "Educational psychology advice, Northbrook Psychology Services"
    )
    sign_out(page)

    # The provider downloads the paper and asks the council a question.
    sign_in(page, "admin@northbrook.test")
    page.goto("/provider/allocations")
    page.locator("#allocation-list tbody tr").get_by_role("link", name="EHC24-0077").click()
    with page.expect_download() as download_info:
        page.locator("#paper-table").get_by_role("link", name="EP request form").click()
    assert Path(download_info.value.path()).read_bytes() == PDF_BYTES
    page.get_by_label("Your question for the council").fill("Is the SENCo in on Mondays?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator("#question-thread")).to_contain_text("Is the SENCo in on Mondays?")
    expect(page.locator("#question-waiting")).to_be_visible()
    axe.check(page, "provider work, question asked")
    # Then accepts the work.
    page.get_by_role("button", name="Accept this work").click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "You accepted this work"
    )
    sign_out(page)

    # The manager sees the question waiting and answers it on the allocation page.
    sign_in(page, "manager@council.test", two_factor=True)
    page.goto(f"/allocations/{case.allocations[0].id}")
    expect(page.locator("#question-waiting")).to_contain_text("Question waiting")
    page.get_by_label("Your answer").fill("Yes, from 9 until 3.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#question-thread")).to_contain_text("Yes, from 9 until 3.")
    expect(page.locator("#question-waiting")).to_have_count(0)
    axe.check(page, "allocation, question answered")

    # And produces the family letter: who is preparing the advice, recorded on the case.
    page.goto(f"/cases/{case.id}")
    letter_form = page.locator("form", has=page.get_by_role("button", name="Produce the letter"))
    letter_form.locator("input[type=radio][name='letter-subject']").first.check()
    letter_form.get_by_label("Post").check()
    page.get_by_role("button", name="Produce the letter").click()
    letters = page.locator("#letter-table tbody tr")
    expect(letters).to_have_count(1)
    expect(letters).to_contain_text("Post")
    axe.check(page, "case page, letter produced")
    with page.expect_download() as download_info:
        letters.get_by_role("link", name="PDF").click()
    text = "".join(
        page_.extract_text()
        for page_ in PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes())).pages
    )
    assert "Northbrook Psychology Services" in " ".join(text.split())

    assert page.evaluate("window.__cspViolations") == []
    page_problems.assert_none()
    assert len(axe.checked) == 5
    axe.assert_none()
