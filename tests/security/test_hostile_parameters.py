"""Bad parameters never give a 500: every GET route, as the roles that may open it, with a
fixed list of hostile values in its path ids and in each query parameter it documents.

A route's parameters are the fields of the GET forms its page shows (a new filter is covered
without editing this file), "page" on lists, and the names the lists and reports share. Each
value goes into one parameter at a time, the others left out, so that a form error on one
field cannot hide a fault behind another: every hostile value into a box people type into,
the values that break parsing into a list, a page number or a date's boxes (and whole dates
out of range into those). Then every value goes into every parameter at once (as an htmx
request every other time). A list's posted search form (web.list_filters) gets the same,
posted. The roles allowed take turns, so each meets the routes without multiplying the
requests. Downloads and charts read the same form as their page (one reading,
reports.pages.ReportPage), so they get the values that could reach the export.
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.routing import Rule

from provider_portal.models import Role
from provider_portal.permissions import POLICIES
from tests.helpers import PortalClient

SHARED_PARAMETERS = (
    "page",
    "provider",
    "work_type",
    "status",
    "contract",
    "start",
    "end",
    "as_of",
    "q",
    "table",
)
HOSTILE = (
    "²",  # a digit to str.isdigit(), not to int()
    "١",  # an Arabic-Indic digit: int() reads it
    "-1",
    "0",
    "99999999999999999999",  # beyond BIGINT
    "1e9",
    "NaN",
    "%00",
    "\x00",
    '\'; DROP TABLE "case"; --',
    "{{7*7}}",
    "0001-01",
    "9999-12",
    "2024-13",
    "x" * 300,
    "\r\n\x1b[31m",
)
# Sent as it is in the query string: a lone surrogate (U+D800 as UTF-8), which is not UTF-8.
RAW_VALUE = "%ED%A0%80"
# For a list, a date or a page number: what breaks parsing. The text values (injections,
# template syntax, long strings) go to the boxes people type into, and to every parameter in
# the last round.
FOR_CHOICES = (
    "²",
    "١",
    "-1",
    "0",
    "99999999999999999999",
    "1e9",
    "NaN",
    "\x00",
    "0001-01",
    "9999-12",
    "2024-13",
)
# What can get past a report's form to its export: numbers, months and NUL.
FOR_DOWNLOADS = ("²", "99999999999999999999", "\x00", "0001-01", "9999-12", "2024-13")
# Routes that read no query string: only what every request goes through.
FOR_THE_REST = ("\x00", "²", "99999999999999999999", "x" * 300)
# Three-box dates.
DATE_BOXES = (("31", "12", "9999"), ("1", "1", "0001"), ("1", "1", "1899"), ("29", "2", "2025"))
# Past INTEGER (the id columns), and past BIGINT.
HOSTILE_IDS = ("0", "2147483648", "99999999999999999999")
HOSTILE_PATH_TEXT = ("%00", "x" * 300, "%ED%A0%80")
SKIPPED = {"static", "assets.govuk_assets", "assets.vendor"}
DOWNLOAD = re.compile(r"\.(csv|xlsx|svg)$")


def _path(rule: Rule, ids: dict[str, str]) -> str:
    """The rule's URL with its arguments filled in from ids (not url_for: it would refuse
    hostile ids); a chart is always a real one."""
    path = rule.rule
    for name in rule.arguments:
        value = "backlog" if name == "chart" else ids.get(name, "1")
        path = re.sub(r"<(?:[^<>]*:)?" + name + ">", lambda _, v=value: v, path)
    return path


def _documented(html: str, method: str = "get") -> dict[str, bool]:
    """The inputs of the page's GET forms (its filters and report choices), and "page" for a
    list: each name, and whether it is a box people type into. With method "post", those of
    its posted search form (web.list_filters)."""
    soup = BeautifulSoup(html, "html.parser")
    names: dict[str, bool] = {}
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != method:
            continue
        if method == "post" and form.get("role") != "search":
            continue
        for field in form.find_all(["input", "select", "textarea"]):
            name, kind = field.get("name"), field.get("type", "text")
            # A date's boxes take numbers: the choices' values, and DATE_BOXES, are theirs.
            typed = "govuk-date-input__input" not in (field.get("class") or [])
            if name and kind != "submit" and name not in names:
                names[name] = field.name == "textarea" or (typed and kind in ("text", "search"))
    names.pop("csrf_token", None)
    if names and soup.find("table"):
        names["page"] = False
    return names


@pytest.fixture
def world(app, make, client_for):
    provider = make.provider("Provider P")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    case = make.case()
    allocation = make.allocation(
        case=case,
        provider=provider,
        provider_accepted_on=date(2024, 8, 2),
        assigned_to_id=practitioner.id,
    )
    contract = make.contract(provider=provider, reference="CON-P", prices={"ep_advice": "1200"})
    clients = {
        Role.ADMIN: client_for(Role.ADMIN),
        Role.MANAGER: client_for(Role.MANAGER),
        Role.MONITOR: client_for(Role.MONITOR),
        Role.PROVIDER_ADMIN: client_for(Role.PROVIDER_ADMIN, provider=provider),
        Role.PRACTITIONER: client_for(practitioner),
        None: PortalClient(app),  # for the pages anyone may open
    }
    ids = {
        "case_id": str(case.id),
        "allocation_id": str(allocation.id),
        "contract_id": str(contract.id),
        "provider_id": str(provider.id),
        "user_id": str(practitioner.id),
        "document_id": "1",
        "token": "not-a-real-token",
    }
    return clients, ids


def test_no_get_route_answers_a_hostile_parameter_with_a_5xx(app: Flask, world) -> None:
    clients, ids = world
    started = time.monotonic()
    failures: list[str] = []
    sent = 0

    def get(
        client: PortalClient,
        url: str,
        query: object = None,
        htmx: bool = False,
        posted: dict[str, str] | None = None,
    ) -> str:
        nonlocal sent
        sent += 1
        try:
            if posted is not None:
                response = client.post(url, posted)
            else:
                response = client.get(url, query_string=query, htmx=htmx)
        except Exception as error:  # the test app raises where a server would answer 500
            failures.append(f"{url} {query or posted!r}: {type(error).__name__}: {error}"[:300])
            return ""
        if response.status_code >= 500:
            failures.append(f"{url} {query or posted!r}: {response.status_code}")
        return response.get_data(as_text=True) if response.mimetype == "text/html" else ""

    documented: dict[str, dict[str, bool]] = {}
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and r.endpoint not in SKIPPED
    ]
    # Pages first, so a download can take its page's parameters.
    for rule in sorted(rules, key=lambda r: (bool(DOWNLOAD.search(r.rule)), r.rule)):
        roles = POLICIES[app.view_functions[rule.endpoint].policy] or {None}
        turns = itertools.cycle([role for role in clients if role in roles])
        url = _path(rule, ids)
        page = get(clients[next(turns)], url)
        stem = re.sub(r"(/chart/.*)?" + DOWNLOAD.pattern, "", url)
        if DOWNLOAD.search(rule.rule):
            names = dict.fromkeys(documented.get(stem, {}), False)
        else:
            names = documented[url] = _documented(page)

        for name in rule.arguments - {"chart"}:
            for value in HOSTILE_PATH_TEXT if name == "token" else HOSTILE_IDS:
                get(clients[next(turns)], _path(rule, {**ids, name: value}))
        for name, typed in names.items():
            one_at_a_time = HOSTILE if typed else FOR_CHOICES
            if DOWNLOAD.search(rule.rule):
                one_at_a_time = FOR_DOWNLOADS
            for value in one_at_a_time:
                get(clients[next(turns)], url, {name: value})
            if typed:
                get(clients[next(turns)], f"{url}?{name}={RAW_VALUE}")
            if name in ("as_of", "date_from", "date_to"):
                for boxes in DATE_BOXES:
                    get(clients[next(turns)], url, [(name, box) for box in boxes])
        # A posted search (the case list, the board): each of its fields, posted.
        for name, typed in _documented(page, "post").items():
            for value in HOSTILE if typed else FOR_CHOICES:
                get(clients[next(turns)], url, posted={name: value})
        everything = list(names) + [name for name in SHARED_PARAMETERS if name not in names]
        values = FOR_DOWNLOADS if DOWNLOAD.search(rule.rule) else HOSTILE if names else FOR_THE_REST
        for index, value in enumerate(values):
            query = [(name, value) for name in everything]
            get(clients[next(turns)], url, query, htmx=index % 2 == 1)

    elapsed = time.monotonic() - started
    print(f"{sent} requests in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures)
