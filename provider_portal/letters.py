"""Family letters: their placeholders, the default wording, filling a template in, and the
letter as a PDF (fpdf2, no browser) and as a DOCX (python-docx).

Pure functions of plain values and models already loaded: no database writes, no requests.
The placeholders each kind of letter may use are defined here once; the administrator's
template form, the letter service and the migration's default wording all follow them.
"""

from __future__ import annotations

import importlib.util
import io
import re
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docx import Document as DocxDocument
from fpdf import FPDF

from provider_portal.formatting import long_date
from provider_portal.models import Allocation, Case, CaseException
from provider_portal.timescales import ADVICE_EXCEPTIONS, exception_label

# What any family letter may say about the case and the council.
_COMMON: dict[str, str] = {
    "child_first_name": "The child's first name",
    "parent_carer_name": "The parent or carer's name (\u201cparent or carer\u201d if not recorded)",
    "case_ref": "The case reference",
    "council_contact": "Who at the council to contact with questions",
    "today": "The date the letter is produced",
}
# The placeholders each kind of letter may use, with what each becomes.
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "work_accepted": {
        **_COMMON,
        "work_type": "The work, for example \u201ceducational psychology advice\u201d",
        "provider": "The organisation preparing it",
        "practitioner_role": "Who prepares it, for example \u201can educational psychologist\u201d",
        "due_date": "When it is expected: the statutory date for advice, else the contract's",
    },
    "exception_parent_told": {
        **_COMMON,
        "time_limit": "The time limit that will not be met, for example \u201cThe 20 weeks\u201d",
        "exception_reason": "The reason, as the regulations word it",
        "exception_period": "The dates the exception covers",
    },
}

# The wording every installation starts with (migration 0011 inserts the same text).
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "work_accepted": (
        "Who is preparing your child's advice",
        "Dear {parent_carer_name},\n\n"
        "Your child's {work_type} is being prepared by {practitioner_role} from {provider}, "
        "as part of {child_first_name}'s education, health and care needs assessment. "
        "We expect it by {due_date}.\n\n"
        "If you have questions, please contact {council_contact}.\n\n"
        "Case reference: {case_ref}\n"
        "{today}",
    ),
    "exception_parent_told": (
        "A time limit in your child's assessment will not be met",
        "Dear {parent_carer_name},\n\n"
        "We are writing about {child_first_name}'s education, health and care needs assessment. "
        "The law sets a time limit for each step. {time_limit} will not be met, for a reason "
        "the regulations allow: {exception_reason}. This covers {exception_period}.\n\n"
        "If you have questions, please contact {council_contact}.\n\n"
        "Case reference: {case_ref}\n"
        "{today}",
    ),
}

# Who prepares each kind of work, as the letter names them (the portal keeps no job titles).
PRACTITIONER_ROLES: dict[str, str] = {
    "ep_advice": "an educational psychologist",
    "ot_advice": "an occupational therapist",
    "salt_advice": "a speech and language therapist",
    "health_advice": "a health professional",
    "social_care_advice": "a social care practitioner",
    "plan_writing": "a plan writer",
}
DEFAULT_ROLE = "a practitioner"
NO_PARENT_NAME = "parent or carer"


class TemplateProblem(ValueError):
    """A template that cannot be filled in: a broken brace or a placeholder it may not use."""


def check_template(kind: str, text: str) -> None:
    """Raise TemplateProblem naming the first thing in text that could not be filled in."""
    allowed = PLACEHOLDERS[kind]
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateProblem(
            "There is a { or } without its partner: a placeholder is written like "
            "{case_ref}, and a brace on its own is written twice, like {{ or }}"
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise TemplateProblem(
                f"{shown} is not a placeholder this letter can use. "
                f"Use only: {', '.join('{' + p + '}' for p in allowed)}"
            )


def fill(text: str, values: dict[str, str]) -> str:
    """The template with each placeholder replaced by its value (checked templates only)."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


def practitioner_role(allocation: Allocation) -> str:
    """Who prepares the work, from its work type: the portal holds no job titles."""
    return PRACTITIONER_ROLES.get(allocation.work_type.code, DEFAULT_ROLE)


def _common(case: Case, council_contact: str, on: date) -> dict[str, str]:
    return {
        "child_first_name": case.first_name,
        "parent_carer_name": case.parent_carer_name or NO_PARENT_NAME,
        "case_ref": case.case_ref,
        "council_contact": council_contact,
        "today": long_date(on),
    }


def work_accepted_values(allocation: Allocation, council_contact: str, on: date) -> dict[str, str]:
    """What the placeholders of the letter naming who prepares the work become."""
    return {
        **_common(allocation.case, council_contact, on),
        "work_type": allocation.work_type.name.lower(),
        "provider": allocation.provider.name,
        "practitioner_role": practitioner_role(allocation),
        "due_date": long_date(allocation.statutory_due_on or allocation.due_on),
    }


def exception_values(
    exception: CaseException, allocation: Allocation | None, council_contact: str, on: date
) -> dict[str, str]:
    """What the placeholders of the letter telling the parent a time limit will slip become."""
    if exception.reason in ADVICE_EXCEPTIONS and allocation is not None:
        limit = (
            f"The 6 weeks for the {allocation.work_type.name.lower()} "
            f"from {allocation.provider.name}"
        )
    else:
        limit = "The 20 weeks for issuing the final education, health and care plan"
    if exception.starts_on is None:
        period = "a period we have not yet recorded"
    elif exception.ends_on is None:
        period = f"the time from {long_date(exception.starts_on)}, and it has not ended yet"
    else:
        period = f"{long_date(exception.starts_on)} to {long_date(exception.ends_on)}"
    return {
        **_common(exception.case, council_contact, on),
        "time_limit": limit,
        "exception_reason": exception_label(exception.reason),
        "exception_period": period,
    }


@dataclass(frozen=True)
class LetterText:
    title: str
    body: str


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _font(name: str) -> Path:
    """A DejaVu Sans face from matplotlib's own data (a pinned dependency): a Unicode font, so
    names such as Łukasz, Zoë or Ağaoğlu print as written. Found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / name


def letter_pdf(letter: LetterText) -> bytes:
    """The letter as an A4 PDF."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
    pdf.set_margins(25, 25, 25)
    pdf.set_title(letter.title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, letter.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", size=11)
    for paragraph in letter.body.split("\n"):
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def letter_docx(letter: LetterText) -> bytes:
    """The letter as a Word document the council can adjust before sending."""
    document = DocxDocument()
    document.core_properties.title = letter.title
    document.add_heading(letter.title, level=1)
    for paragraph in letter.body.split("\n\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def letter_filename(case_ref: str, letter_id: int, extension: str) -> str:
    """A download name that carries the case reference and nothing about the child."""
    ref = _UNSAFE_NAME.sub("-", case_ref).strip("-") or "case"
    return f"family-letter-{ref}-{letter_id}.{extension}"
