"""Signing the simulated people in as a browser does: the password, then the code their
authenticator secret makes now; and reading a page's form as a browser would post it."""

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


def hidden_fields(html: str, action: str) -> dict[str, str] | None:
    """The hidden inputs (CSRF token, one-time nonce) of the page's form posting to action."""
    for found_action, body in _FORM.findall(html):
        if unescape(found_action) == action:
            fields = {}
            for tag in _HIDDEN.findall(body):
                attributes = dict(_ATTRIBUTE.findall(tag))
                fields[attributes.get("name", "")] = unescape(attributes.get("value", ""))
            return fields
    return None


def choices(html: str, action: str) -> dict[str, list[str]]:
    """The radio buttons and checkboxes of the page's form posting to action: each name with
    the values offered for it, in the page's order ({} when there is no such form)."""
    for found_action, body in _FORM.findall(html):
        if unescape(found_action) == action:
            offered: dict[str, list[str]] = {}
            for tag in _CHOICE.findall(body):
                attributes = dict(_ATTRIBUTE.findall(tag))
                offered.setdefault(attributes.get("name", ""), []).append(
                    unescape(attributes.get("value", ""))
                )
            return offered
    return {}


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
