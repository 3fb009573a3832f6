"""Signing the simulated people in as a browser does: the password, then the code their
authenticator secret makes now; and reading a page as a browser would: its form's fields, and
the charts it shows."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pyotp
import requests

_FORM = re.compile(r"<form\b[^>]*\baction=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S)
_HIDDEN = re.compile(r"<input\b[^>]*type=\"hidden\"[^>]*>")
_CHOICE = re.compile(r"<input\b[^>]*type=\"(?:radio|checkbox)\"[^>]*>")
_ATTRIBUTE = re.compile(r"(\w[\w-]*)=\"([^\"]*)\"")
_CHART = re.compile(r'src="(/reports/pack/chart/[^"]+)"')


def _inputs(html: str, action: str, kind: re.Pattern[str]) -> list[tuple[str, str]] | None:
    """(name, value) of each input of a kind in the page's form posting to action, in the
    page's order; None when the page has no such form."""
    for found_action, body in _FORM.findall(html):
        if unescape(found_action) == action:
            named = (dict(_ATTRIBUTE.findall(tag)) for tag in kind.findall(body))
            return [(a.get("name", ""), unescape(a.get("value", ""))) for a in named]
    return None


def hidden_fields(html: str, action: str) -> dict[str, str] | None:
    """The hidden inputs (CSRF token, one-time nonce) of the page's form posting to action."""
    found = _inputs(html, action, _HIDDEN)
    return None if found is None else dict(found)


def choices(html: str, action: str) -> dict[str, list[str]]:
    """The radio buttons and checkboxes of the page's form posting to action: each name with
    the values offered for it, in the page's order ({} when there is no such form)."""
    offered: dict[str, list[str]] = {}
    for name, value in _inputs(html, action, _CHOICE) or []:
        offered.setdefault(name, []).append(value)
    return offered


def chart_addresses(html: str) -> list[str]:
    """The addresses of the pack page's chart images, as a browser reads them."""
    return [unescape(src) for src in _CHART.findall(html)]


def _post_form(session: requests.Session, base: str, path: str, fields: dict[str, str]) -> None:
    page = session.get(base + path, timeout=60)
    hidden = hidden_fields(page.text, path)
    if hidden is None:
        raise RuntimeError(f"no form posting to {path} (answer {page.status_code})")
    answer = session.post(base + path, data={**hidden, **fields}, allow_redirects=False, timeout=60)
    if answer.status_code != 303:
        raise RuntimeError(f"{path} answered {answer.status_code}")


def sign_in(base: str, person: dict[str, Any]) -> list[dict[str, Any]]:
    """The cookies of a session signed in with both steps, each with its domain and path, so
    that the cookies the portal sets later replace them rather than sit beside them."""
    session = requests.Session()
    _post_form(
        session, base, "/sign-in", {"email": person["email"], "password": person["password"]}
    )
    _post_form(session, base, "/sign-in/two-factor", {"code": pyotp.TOTP(person["totp"]).now()})
    return [
        {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path}
        for c in session.cookies
    ]
