"""The letter as a PDF and a DOCX, whatever the names in it, under a name with no child in it."""

from __future__ import annotations

import io

from docx import Document as DocxDocument
from pypdf import PdfReader

from provider_portal.letters import LetterText, letter_docx, letter_filename, letter_pdf

LETTER = LetterText(
    "Who is preparing Zoë\u2019s advice",
    "Dear Mr Łukasz Nowak-Brontë,\n\nZoë\u2019s advice \u2013 due soon\u2026\n\nThe end",
)


def test_the_pdf_keeps_every_character_as_written() -> None:
    reader = PdfReader(io.BytesIO(letter_pdf(LETTER)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Who is preparing Zoë\u2019s advice" in text
    assert "Dear Mr Łukasz Nowak-Brontë," in text
    assert "Zoë\u2019s advice \u2013 due soon\u2026" in text
    assert "The end" in text
    assert reader.metadata.title == "Who is preparing Zoë\u2019s advice"


def test_the_docx_keeps_every_character_and_the_paragraphs() -> None:
    document = DocxDocument(io.BytesIO(letter_docx(LETTER)))
    assert [p.text for p in document.paragraphs] == [
        "Who is preparing Zoë\u2019s advice",
        "Dear Mr Łukasz Nowak-Brontë,",
        "Zoë\u2019s advice \u2013 due soon\u2026",
        "The end",
    ]
    assert document.core_properties.title == LETTER.title


def test_the_download_name_is_the_case_reference_made_safe() -> None:
    assert letter_filename("EHC/2024 01", 7, "pdf") == "family-letter-EHC-2024-01-7.pdf"
    assert letter_filename('"../', 3, "docx") == "family-letter-case-3.docx"
