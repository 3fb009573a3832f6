"""The quality rubric for a draft EHC plan: the plan's sections, each met, partly met or not met.

The sections are those of an EHC plan (SEND Code of Practice 2015, 9.62); H is in two parts.
A QualityScore row names its section by the code here, so a code, once used, never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

MET, PARTLY_MET, NOT_MET = 2, 1, 0
MAX_SCORE = MET

# Score -> its words, best first (the order the radios offer them).
SCORE_LABELS: dict[int, str] = {MET: "Met", PARTLY_MET: "Partly met", NOT_MET: "Not met"}


@dataclass(frozen=True)
class Section:
    code: str
    label: str


SECTIONS: tuple[Section, ...] = (
    Section("A", "Views, interests and aspirations"),
    Section("B", "Special educational needs"),
    Section("C", "Health needs related to the special educational needs"),
    Section("D", "Social care needs related to the special educational needs"),
    Section("E", "Outcomes"),
    Section("F", "Special educational provision"),
    Section("G", "Health provision"),
    Section("H1", "Social care provision under the Chronically Sick and Disabled Persons Act"),
    Section("H2", "Other social care provision"),
    Section("I", "Placement"),
    Section("J", "Personal budget"),
    Section("K", "Advice and information"),
)
SECTION_CODES: tuple[str, ...] = tuple(section.code for section in SECTIONS)
SECTION_LABELS: dict[str, str] = {section.code: section.label for section in SECTIONS}


def section_title(code: str) -> str:
    """ "Section F: Special educational provision"; a code no longer in the rubric as itself."""
    label = SECTION_LABELS.get(code)
    return f"Section {code}: {label}" if label else f"Section {code}"


def score_label(score: int) -> str:
    return SCORE_LABELS.get(score, str(score))
