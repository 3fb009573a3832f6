"""Form pieces shared across areas."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

from flask import abort, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovSelect,
    GovSubmitInput,
)
from markupsafe import Markup
from wtforms import DateField, Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

Option: TypeAlias = tuple[str, str] | SelectChoice


class DateInput(GovDateInput):
    """The GOV.UK date input, tolerant of a request that did not send all three boxes.

    The library's widget unpacks exactly three values and fails on a hand-made request.
    """

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = (list(raw) + ["", "", ""])[:3]
        return super().map_gov_params(field, **kwargs)  # type: ignore[no-any-return]


def _frozen(value: Any) -> Any:
    """A widget's params as a key: dicts, lists and each value with its type (Markup and str
    are escaped differently, so they are different keys)."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return (type(value).__name__, value)


@dataclass(frozen=True)
class _Drawing:
    template: str
    key: Any
    params: dict[str, Any] = dataclasses.field(compare=False, hash=False)


# Drawings kept in each process (a few kilobytes each).
KEPT_DRAWINGS = 512


@lru_cache(maxsize=KEPT_DRAWINGS)
def _drawn(drawing: _Drawing) -> Markup:
    return Markup(render_template(drawing.template, params=drawing.params))


class _Kept:
    """A GOV.UK widget drawn once for the same params, then served from memory.

    The GOV.UK macros' HTML depends on the params alone; drawing a drop-down through them
    took a fifth of the board's time in Python, and a page that shows the same choices on
    every request (the board's filters) draws the same HTML each time. Only for widgets whose
    params are the form's own choices and labels, never what someone typed (a search may be
    a child's name, and kept drawings stay in memory).
    """

    template: str

    def render(self, params: dict[str, Any]) -> Markup:
        return _drawn(_Drawing(self.template, _frozen(params), params))


class KeptSelect(_Kept, GovSelect):
    """GovSelect, drawn once for the same choices, choice and error (_Kept)."""


class KeptCheckboxes(_Kept, GovCheckboxesInput):
    """GovCheckboxesInput, drawn once for the same boxes and ticks (_Kept)."""


class KeptSubmit(_Kept, GovSubmitInput):
    """GovSubmitInput, drawn once for the same button (_Kept)."""


# The GOV.UK date input's three boxes, joined by the widget with spaces.
DATE_FORMAT = "%d %m %Y"
DATE_HINT = "For example, 27 3 2024"


def required_date(label: str, missing: str) -> DateField:
    """A GOV.UK date input that must be filled in, with the usual hint."""
    return DateField(
        label,
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[InputRequired(message=missing)],
        description=DATE_HINT,
    )


def error_list(form: FlaskForm) -> list[dict[str, str]]:
    """The GOV.UK error summary's entries: each field's first error, linking to its input
    (the day box of a date, which is where the reader starts)."""
    entries = []
    for field in form:
        if field.errors:
            target = f"{field.id}-day" if isinstance(field, DateField) else field.id
            entries.append({"text": field.errors[0], "href": f"#{target}"})
    return entries


def options(items: Iterable[Option]) -> list[SelectChoice]:
    """A select's or radios' choices from (value, label) pairs, as WTForms wants them."""
    return [
        item if isinstance(item, SelectChoice) else SelectChoice(str(item[0]), item[1])
        for item in items
    ]


def offered(field: Field) -> set[str]:
    """The values a select or radios offers, so anything else can be ignored."""
    return {str(choice.value) for choice in options(field.choices or [])}


# A form's one-time nonce (provider_portal.submissions): what new_nonce makes, and no more.
_NONCE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_nonce() -> str:
    """A one-time nonce for a form that records something, made when the page is drawn."""
    return secrets.token_urlsafe(24)


def posted_nonce(field: Field) -> str:
    """The nonce the form came back with, or a 400: a form without one was not sent from
    the portal's page (or from a page drawn before forms had one)."""
    nonce = str(field.data or "")
    if not _NONCE.fullmatch(nonce):
        abort(400)
    return nonce
