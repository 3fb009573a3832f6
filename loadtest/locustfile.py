"""Managers, provider staff and contract monitors doing their day's work, for Locust.

Each simulated person signs in with their own account (password, then the code from their
authenticator secret) and repeats their journeys with a pause between steps. Every request is
named by its page, so the statistics come out per page; writes that the portal confirmed (its
303 after the POST) are counted, and so are answers of 500 or more, in the file that
LOADTEST_RESULTS names, for run.py to check against the database afterwards.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

from loadtest.signin import chart_addresses, choices, hidden_fields
from tests import files

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOADTEST_PEOPLE"]).read_text())
# The confirmed writes and the server errors, by name.
TALLY: Counter[str] = Counter()
# One account per simulated person: handed out in turn.
_NEXT = {kind: itertools.count() for kind in ("manager", "provider", "monitor")}
# A small PDF, as a provider's finished report would be (content is what the portal checks).
REPORT_PDF = files.pdf_with_stream(b"% a finished report\n" * 500)
MONTHS = 24


def report_range() -> str:
    """The last 24 months, as the monitors choose them."""
    today = date.today()
    months = today.year * 12 + today.month - 1
    first = months - (MONTHS - 1)
    return f"start={first // 12}-{first % 12 + 1:02d}&end={today.year}-{today.month:02d}"


@events.request.add_listener
def _count_server_errors(response: Any = None, **_: Any) -> None:
    if response is not None and getattr(response, "status_code", 0) >= 500:
        TALLY["server errors"] += 1


@events.test_stop.add_listener
def _write_tally(environment: Environment, **_: Any) -> None:
    Path(os.environ["LOADTEST_RESULTS"]).write_text(json.dumps(dict(TALLY)))


class Person(HttpUser):
    """Someone signed in with their own account, pausing between pages as people do."""

    abstract = True
    kind = ""
    wait_time = between(2, 8)  # reading the page before the next

    def on_start(self) -> None:
        # Signed in before the run (run.py, loadtest/signin.py): people sign in once a day,
        # not 50 at once, and a password hash is meant to be slow.
        self.me = PLAN["people"][self.kind][next(_NEXT[self.kind])]
        for cookie in PLAN["cookies"][self.me["email"]]:
            self.client.cookies.set(**cookie)

    def page(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
            return str(answer.text)

    def write(
        self,
        page_url: str,
        action: str,
        name: str,
        data: dict[str, str],
        choose: Callable[[dict[str, list[str]]], dict[str, str]] | None = None,
        **kw: Any,
    ) -> bool:
        """Post the form at action on page_url's page, with choose's answers to its radio
        buttons and checkboxes; count it if the portal confirms it."""
        html = self.page(page_url, PAGE_NAMES[name])
        fields = hidden_fields(html, action)
        if fields is None:
            return False  # the form is not there (say, the work has moved on)
        if choose is not None:
            data = {**data, **choose(choices(html, action))}
        with self.client.post(
            action,
            data={**fields, **data},
            name=name,
            allow_redirects=False,
            catch_response=True,
            **kw,
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"{answer.status_code}")
                return False
        TALLY[name] += 1
        return True


# The page each write's form is read from.
PAGE_NAMES = {
    "upload": "provider work page",
    "return": "provider work page",
    "accept": "allocation page",
    "send back": "allocation page",
}


class Manager(Person):
    """The council's case managers: the board, its filters, cases and reviewing returns."""

    kind = "manager"
    fixed_count = 20

    @task(4)
    def board(self) -> None:
        self.page("/cases/backlog", "board")

    @task(2)
    def board_filtered(self) -> None:
        filters = random.choice(
            ["flags=looked_after", "band=over_26", "flags=phase_transfer&page=3"]
        )
        self.page(f"/cases/backlog?{filters}", "board, filtered")

    @task(3)
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(PLAN['cases'])}", "case page")

    @task(1)
    def search(self) -> None:
        self.page(f"/cases?q={random.choice(['smith', 'jones', 'GEN00'])}", "case search")

    @task(1)
    def allocations(self) -> None:
        status = random.choice(["returned", "allocated"])
        self.page(f"/allocations?status={status}", "allocations, filtered")

    @task(1)
    def allocations_deep(self) -> None:
        self.page(f"/allocations?page={random.randint(500, 1000)}", "allocations, deep page")

    @task(2)
    def review(self) -> None:
        if not self.me["review"]:
            return
        allocation = self.me["review"].pop()
        url = f"/allocations/{allocation}"
        if random.random() < 0.75:
            # Plan writing under a contract with the quality check asks for every section's
            # score; other work has no questions.
            self.write(url, f"{url}/accept", "accept", {}, choose=_scores)
        else:
            comment = "Section F needs the provision quantified."
            self.write(
                url, f"{url}/amendment", "send back", {"amend-comment": comment}, choose=_reason
            )


def _scores(offered: dict[str, list[str]]) -> dict[str, str]:
    """A score for every section of the rubric the accept form asks about."""
    return {name: random.choice(values) for name, values in offered.items() if values}


def _reason(offered: dict[str, list[str]]) -> dict[str, str]:
    """One of the reasons the send-back form offers for this work."""
    reasons = offered.get("amend-reasons", [])
    return {"amend-reasons": random.choice(reasons)} if reasons else {}


class ProviderStaff(Person):
    """A provider's administrator: their work list, a piece of work, upload and return."""

    kind = "provider"
    fixed_count = 20

    @task(3)
    def work_list(self) -> None:
        self.page("/provider/allocations", "provider work list")

    @task(2)
    def work_page(self) -> None:
        work = self.me["work"]
        if work:
            self.page(f"/provider/allocations/{random.choice(work)}", "provider work page")

    @task(2)
    def upload_and_return(self) -> None:
        if not self.me["work"]:
            return
        allocation = self.me["work"].pop()
        url = f"/provider/allocations/{allocation}"
        files = {"upload-document": ("report.pdf", REPORT_PDF, "application/pdf")}
        if self.write(url, f"{url}/documents", "upload", {}, files=files):
            self.write(url, f"{url}/return", "return", {})


class Monitor(Person):
    """The contract monitors: the council's reports."""

    kind = "monitor"
    fixed_count = 10

    @task(2)
    def monthly(self) -> None:
        self.page(f"/reports/monthly?{report_range()}", "monthly report")

    @task(2)
    def spend(self) -> None:
        self.page("/reports/spend", "spend")

    @task(1)
    def foi(self) -> None:
        self.page("/reports/foi", "FOI")

    @task(2)
    def pack(self) -> None:
        months = report_range()
        page = self.page(f"/reports/pack?{months}", "pack, all providers, 24 months")
        # The charts the page shows, by the addresses it gives them, as a browser loads them.
        for chart in chart_addresses(page):
            self.page(chart, "pack chart")

    @task(1)
    def pack_workbook(self) -> None:
        self.page(f"/reports/pack.xlsx?{report_range()}", "pack workbook (XLSX)")
