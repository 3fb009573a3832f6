"""What the report forms share: the query string with its defaults, the month and as-of
fields, the provider list, and reading a form into a report with its mistakes on the form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from flask import request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Field, SelectField, StringField
from wtforms.validators import InputRequired, Optional, Regexp, ValidationError

from provider_portal.errors import ReportError
from provider_portal.models import Provider
from provider_portal.reports.monthly.queries import FIRST_YEAR, LAST_YEAR, parse_month
from provider_portal.reports.scope import ScopeError
from provider_portal.timescales import add_months, today

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

F = TypeVar("F", bound=FlaskForm)
R = TypeVar("R")


class ReportForm(FlaskForm):
    """A report's choices: a GET form, so a report's URL can be shared and bookmarked."""

    class Meta:
        csrf = False


def report_args(months: int = 0, as_of: bool = False) -> MultiDict[str, str]:
    """The request's query string with what it leaves out filled in: the `months` months to
    this month (when `months` is given) and today's as-of date (when the form has one)."""
    args = request.args.copy()
    now = today()
    if months:
        args.setdefault("start", add_months(now, 1 - months).strftime("%Y-%m"))
        args.setdefault("end", now.strftime("%Y-%m"))
    if as_of:
        default_as_of(args)
    return args


def range_args(first_month: date, last_month: date, as_of: date) -> dict[str, Any]:
    """The query string of a report's months and as-of date, for links that choose them again."""
    return {
        "start": first_month.strftime("%Y-%m"),
        "end": last_month.strftime("%Y-%m"),
        "as_of": [str(as_of.day), str(as_of.month), str(as_of.year)],
    }


def default_as_of(args: MultiDict[str, str], name: str = "as_of") -> None:
    """Fill the as-of date input (three boxes: day, month, year) with today unless the
    request gave all three; a hand-made link with anything else starts from today."""
    if len(args.getlist(name)) != 3:
        now = today()
        args.setlist(name, [str(now.day), str(now.month), str(now.year)])


class MonthInRange:
    """A month the reports can work with (reports.monthly.queries.parse_month), its error on
    the box it came from."""

    def __init__(self, which: str) -> None:
        self.which = which

    def __call__(self, form: FlaskForm, field: Field) -> None:
        try:
            parse_month(field.data or "", f"{self.which} month")
        except ReportError as error:
            raise ValidationError(str(error)) from error


def in_report_years(form: FlaskForm, field: Field) -> None:
    """An as-of date within the years the reports work with."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(f"Enter a date between 1 1 {FIRST_YEAR} and 31 12 {LAST_YEAR}")


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
            MonthInRange(which),
        ],
    )


def as_of_field(label: str, description: str) -> DateField:
    """The date a report's figures stand at, as three boxes; blank means today."""
    return DateField(
        label,
        widget=GovDateInput(),
        format="%d %m %Y",
        description=description,
        validators=[Optional(), in_report_years],
    )


def list_field(label: str, description: str = "", check_choice: bool = True) -> SelectField:
    """A drop-down list whose blank first option means all of them; its options are filled
    per request. With check_choice off, the report checks the choice itself."""
    return SelectField(
        label,
        widget=GovSelect(),
        validators=[Optional()],
        default="",
        validate_choice=check_choice,
        description=description,
    )


def provider_choices(providers: Sequence[Provider]) -> list[tuple[str, str]]:
    """A provider list's options: all providers, then each by name, keyed by id."""
    return [("", "All providers"), *((str(p.id), p.name) for p in providers)]


def read_form(form: F, read: Callable[[F], R]) -> R | None:
    """Validate the form, then read the report it asks for; None with the mistakes on the
    form, whether the form's own checks or the report's (a ReportError)."""
    if not form.validate():
        return None
    try:
        return read(form)
    except ReportError as error:
        show_errors(form, error)
        return None


def show_errors(form: FlaskForm, error: ReportError) -> None:
    """Put a report's error on the inputs it names: its contract or provider, or the last
    month (a range's errors, which name no input)."""
    errors = error.errors if isinstance(error, ScopeError) else {error.field or "end": str(error)}
    for name, message in errors.items():
        field = form[name]
        field.errors = [*field.errors, message]
