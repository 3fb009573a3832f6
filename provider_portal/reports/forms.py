"""What the report forms share: a year-and-month box and today's date as the default as-of."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import InputRequired, Regexp

from provider_portal.timescales import today

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def default_as_of(args: MultiDict[str, str], name: str = "as_of") -> None:
    """Fill the as-of date input (three boxes: day, month, year) with today unless the
    request gave all three; a hand-made link with anything else starts from today."""
    if len(args.getlist(name)) != 3:
        now = today()
        args.setlist(name, [str(now.day), str(now.month), str(now.year)])


def month_field(label: str, which: str, example: str) -> StringField:
    """A year-and-month box ("2024-08") with the GOV.UK wording for its errors."""
    return StringField(
        label,
        widget=GovTextInput(),
        description=f"For example, {example}",
        validators=[
            InputRequired(message=f"Enter the {which} month"),
            Regexp(
                MONTH_PATTERN,
                message=f"Enter the {which} month as a year and month, like {example}",
            ),
        ],
    )
