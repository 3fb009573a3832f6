"""The SEN2 extract's year (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField, SubmitField
from wtforms.validators import ValidationError

from provider_portal.errors import ReportError
from provider_portal.reports.forms import ReportForm
from provider_portal.reports.sen2.queries import parse_year
from provider_portal.timescales import today


def a_year(form: FlaskForm, field: Field) -> None:
    """Four digits, from 2014 to next year (queries.parse_year), the error on the box."""
    try:
        parse_year(field.data)
    except ReportError as error:
        raise ValidationError(error.message) from error


class Sen2Form(ReportForm):
    """The calendar year of the extract (a GET form)."""

    year = StringField(
        "Calendar year",
        widget=GovTextInput(),
        description=(
            "The return made each January covers the calendar year before it. For example, 2025"
        ),
        validators=[a_year],
    )
    submit = SubmitField("Show extract", widget=GovSubmitInput())


def with_default_year(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """The query string, with last calendar year (the one January's return covers) when the
    request names none."""
    args.setdefault("year", str(today().year - 1))
    return args
