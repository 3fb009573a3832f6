"""Form pieces shared across areas."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any, TypeAlias

from flask import abort
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
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
