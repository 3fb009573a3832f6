"""Forms for contracts: letting one, changing its details, prices, variations and turnarounds.

Field names match the `field` of the ContractError the services raise, so a rule broken in
the service is shown on the box it is about.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError

from provider_portal.accounts.forms import strip
from provider_portal.admin.forms import PlainText
from provider_portal.contracts.money import parse_money
from provider_portal.errors import ContractError
from provider_portal.forms import DateInput, error_list, offered, options
from provider_portal.models import ContractStatus
from provider_portal.web import MAX_ID, to_int

DATE_FORMAT = "%d %m %Y"
FIRST_YEAR, LAST_YEAR = 2000, 2099
LARGEST_NUMBER = 100_000
STATUS_CHOICES = options([(status.value, status.label) for status in ContractStatus])


class ContractForm(FlaskForm):
    """A form whose error summary links to the first box of a date, and which shows a
    service's ContractError on the field it names."""

    def error_list(self) -> list[dict[str, str]]:
        return error_list(self)

    def show(self, error: ContractError, default: str) -> None:
        """Put the service's message on its field (or on `default` if it names none here)."""
        field = getattr(self, error.field or default, None)
        if not isinstance(field, Field):
            field = getattr(self, default)
        field.errors = [str(error)]


class RealDate:
    """All three boxes filled in, making a real date with a four-digit year."""

    def __init__(self, name: str) -> None:
        self.name = name  # "Start date": the messages start with it

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = ([str(value).strip() for value in (field.raw_data or [])] + ["", "", ""])[:3]
        field.errors[:] = []
        if not any(raw):
            raise StopValidation(f"Enter the {self.name[0].lower()}{self.name[1:]}")
        missing = [
            part for part, value in zip(("day", "month", "year"), raw, strict=True) if not value
        ]
        if missing:
            raise StopValidation(f"{self.name} must include a {' and '.join(missing)}")
        if not (raw[2].isdigit() and len(raw[2]) == 4):
            raise StopValidation(f"The year of the {self.name.lower()} must include 4 numbers")
        if field.data is None:
            raise StopValidation(f"{self.name} must be a real date")
        if not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise StopValidation(f"{self.name} must be between {FIRST_YEAR} and {LAST_YEAR}")


def date_field(label: str, name: str, hint: str) -> DateField:
    return DateField(
        label, widget=DateInput(), format=DATE_FORMAT, validators=[RealDate(name)], description=hint
    )


class MoneyField(Field):
    """An amount in pounds typed as people write it (£1,496,000 or 1250.50).

    The data is an exact Decimal; what was typed is shown back when it is wrong.
    """

    widget = GovTextInput()
    data: Decimal | None

    def __init__(self, label: str, what: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.what = what  # "the contract value": the messages use it

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]) if valuelist else ""
        self.data = None
        # A typographic minus (as the portal prints negative amounts) means minus.
        text = text.replace("\u2212", "-").strip()
        if not text:
            raise ValueError(f"Enter {self.what}")
        try:
            self.data = parse_money(text, self.what)
        except ContractError as error:
            raise ValueError(str(error)) from error

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return f"{self.data:.2f}" if isinstance(self.data, Decimal) else ""

    @property
    def amount(self) -> Decimal:
        """The amount of a validated form."""
        if self.data is None:
            raise ValueError(f"{self.name} has no amount: validate the form first")
        return self.data


class WholeNumberField(Field):
    """A count or a percentage: digits only (commas allowed), blank unless required."""

    widget = GovTextInput()
    data: int | None

    def __init__(
        self,
        label: str,
        message: str,
        required: str | None = None,
        percent: bool = False,
        **kwargs: Any,
    ):
        super().__init__(label, **kwargs)
        self.message = message
        self.required = required
        self.percent = percent

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (str(valuelist[0]) if valuelist else "").replace(",", "").strip()
        if self.percent:
            text = text.removesuffix("%").strip()
        self.data = None
        if not text:
            if self.required:
                raise ValueError(self.required)
            return
        if not (text.isascii() and text.isdigit()):
            raise ValueError(self.message)
        number = int(text)
        if self.percent and number > 100:
            raise ValueError(f"{self.label.text} must be 100% or less")
        if number > LARGEST_NUMBER:
            raise ValueError(f"{self.label.text} must be {LARGEST_NUMBER:,} or fewer")
        self.data = number

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    @property
    def number(self) -> int:
        """The number of a validated form whose field is required."""
        if self.data is None:
            raise ValueError(f"{self.name} has no number: validate the form first")
        return self.data


def chosen(message: str) -> Any:
    """The value must be one of the select's choices (a blank or hand-made one is not)."""

    def check(form: FlaskForm, field: SelectField) -> None:
        if (field.data or "") not in offered(field) - {""}:
            raise ValidationError(message)

    return check


def text_field(label: str, what: str, limit: int, **kwargs: Any) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message=f"Enter {what}"),
            Length(max=limit, message=f"{label} must be {limit} characters or fewer"),
            PlainText(f"Enter {what} using letters, numbers, spaces and punctuation only"),
        ],
        **kwargs,
    )


def volume_field() -> WholeNumberField:
    return WholeNumberField(
        "Monthly volume",
        "Enter the monthly volume as a whole number, like 100",
        description="How many pieces of work a month the contract expects. Optional.",
    )


def on_time_field() -> WholeNumberField:
    return WholeNumberField(
        "On-time target",
        "Enter the on-time target as a whole number percentage, like 90",
        percent=True,
        description="The share of work to be returned within its turnaround. Optional.",
    )


def rework_field() -> WholeNumberField:
    return WholeNumberField(
        "Maximum rework",
        "Enter the maximum rework as a whole number percentage, like 10",
        percent=True,
        description="The most work that may be sent back for amendment. Optional.",
    )


def capacity_field() -> WholeNumberField:
    return WholeNumberField(
        "Provider’s stated monthly capacity",
        "Enter the provider’s stated monthly capacity as a whole number, like 120",
        description="How many pieces of work a month the provider says it can take. Optional.",
    )


QUALITY_CHECK_CHOICES = options([("yes", "Yes"), ("no", "No")])


def quality_check_field() -> RadioField:
    return RadioField(
        "Score the quality rubric when accepting plan writing?",
        description=(
            "When the council accepts a draft plan written under this contract, the reviewer "
            "scores each section of the plan as met, partly met or not met. Advice is not scored."
        ),
        widget=GovRadioInput(),
        choices=QUALITY_CHECK_CHOICES,
        validate_choice=False,
        default="yes",
        validators=[chosen("Select yes if the quality rubric is scored when accepting plans")],
    )


class NewContractForm(ContractForm):
    """Let a contract: who with, what for, when, how much, and its targets."""

    reference = text_field(
        "Contract reference",
        "the contract reference",
        50,
        description="The council’s reference for the contract, for example SEND-EP-2024-01",
    )
    title = text_field(
        "Title", "the contract title", 200, description="For example, Locum EP advice"
    )
    provider = SelectField(
        "Provider",
        widget=GovSelect(),
        validate_choice=False,
        default="",
        validators=[chosen("Select the provider")],
    )
    start_on = date_field("Start date", "Start date", "For example, 1 4 2024")
    end_on = date_field("End date", "End date", "The last day of the contract, like 31 3 2026")
    original_value = MoneyField(
        "Value",
        "the contract value",
        description="The most the council may spend under the contract, in pounds. "
        "Approved changes are added later as variations.",
    )
    monthly_volume = volume_field()
    on_time_target_percent = on_time_field()
    max_rework_percent = rework_field()
    stated_monthly_capacity = capacity_field()
    quality_check = quality_check_field()
    submit = SubmitField("Add contract", widget=GovSubmitInput())

    def validate_end_on(self, field: DateField) -> None:
        if self.start_on.data and field.data and field.data < self.start_on.data:
            raise ValidationError("The end date must be on or after the start date")


class EditContractForm(ContractForm):
    """Change a contract's title, dates, status and targets (not its value: see variations)."""

    title = text_field("Title", "the contract title", 200)
    start_on = date_field("Start date", "Start date", "For example, 1 4 2024")
    end_on = date_field("End date", "End date", "The last day of the contract, like 31 3 2026")
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=STATUS_CHOICES,
        validate_choice=False,
        validators=[chosen("Select the contract’s status")],
        description="Work can only be allocated under an active contract.",
    )
    monthly_volume = volume_field()
    on_time_target_percent = on_time_field()
    max_rework_percent = rework_field()
    stated_monthly_capacity = capacity_field()
    quality_check = quality_check_field()
    version = HiddenField()
    submit = SubmitField("Save changes", widget=GovSubmitInput())

    def validate_end_on(self, field: DateField) -> None:
        if self.start_on.data and field.data and field.data < self.start_on.data:
            raise ValidationError("The end date must be on or after the start date")

    def expected_version(self) -> int:
        version = to_int(self.version.data, 0, MAX_ID)
        return -1 if version is None else version


def work_type_field(description: str | None = None) -> SelectField:
    return SelectField(
        "Type of work",
        widget=GovSelect(),
        validate_choice=False,
        default="",
        validators=[chosen("Select the type of work")],
        description=description,
    )


class PriceForm(ContractForm):
    """A unit price for a work type, for work allocated from a date."""

    work_type = work_type_field()
    unit_price = MoneyField("Unit price", "the unit price", description="In pounds, like 1200")
    effective_from = date_field(
        "Applies to work allocated from",
        "Date the price applies from",
        "Work allocated before this date keeps the price it was allocated at. "
        "For example, 1 4 2025",
    )
    submit = SubmitField("Save price", widget=GovSubmitInput())


class VariationForm(ContractForm):
    """An approved change to the contract's value."""

    approved_on = date_field("Date approved", "Date approved", "For example, 12 12 2024")
    amount = MoneyField(
        "Amount",
        "the amount of the variation",
        description="In pounds. To reduce the value, start with a minus sign, like -50000.",
    )
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the reason for the variation"),
            Length(max=2000, message="Reason must be 2,000 characters or fewer"),
        ],
    )
    approval_reference = text_field(
        "Approval reference",
        "the approval reference",
        100,
        description="Who approved it and when, for example Executive Board 12 December 2024",
    )
    submit = SubmitField("Record variation", widget=GovSubmitInput())


class TurnaroundForm(ContractForm):
    """The contract's turnaround target for one work type."""

    work_type = work_type_field()
    days = WholeNumberField(
        "Turnaround in days",
        "Enter the turnaround as a whole number of days, like 42",
        required="Enter the turnaround in days",
        description="Calendar days from allocation, weekends included. Six weeks is 42 days.",
    )
    submit = SubmitField("Save turnaround", widget=GovSubmitInput())


class ContractFilterForm(FlaskForm):
    """Filters on the contract list (GET)."""

    class Meta:
        csrf = False

    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    status = SelectField(
        "Status",
        widget=GovSelect(),
        choices=options([("", "Any status")] + STATUS_CHOICES),
        validators=[Optional()],
        default="",
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())
