"""Active content in Word documents and PDFs is refused by name; ordinary files pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provider_portal.active_content import check_docx, check_pdf, xml_readings
from provider_portal.errors import UploadRejected
from tests import files

DOCX_REFUSED = [
    (files.docx_with_remote_template, "external_relationship"),
    (files.docx_with_external_picture, "external_relationship"),
    (files.docx_with_ole_object, "ole_activex"),
    (files.docx_with_activex, "ole_activex"),
    (files.docx_with_altchunk, "altchunk"),
    (files.docx_with_macro_relationship, "macros"),
    (lambda: files.docx_bytes({"word/vbaProject.bin": b"macro"}), "macros"),
    (lambda: files.docx_with_doctype("utf-8"), "xml_doctype"),
    (lambda: files.docx_with_doctype("utf-16"), "xml_doctype"),
    (lambda: files.docx_with_doctype("utf-16-le"), "xml_doctype"),
    (lambda: files.docx_with_doctype("utf-16-le", bom=True), "xml_doctype"),
    (lambda: files.docx_with_doctype("utf-16-be"), "xml_doctype"),
    (lambda: files.docx_with_doctype("utf-7"), "xml_doctype"),
    (files.docx_with_content_types_doctype, "xml_doctype"),
    # An image that is XML (SVG) is checked like any other XML part.
    (
        lambda: files.docx_with_part("word/media/a.svg", files.xml_with_doctype("utf-16")),
        "xml_doctype",
    ),
    (
        lambda: files.docx_with_part(
            "word/styles.xml", b'<?xml version="1.0" encoding="no-such-codec"?><a/>'
        ),
        "docx_unsafe",
    ),
    (lambda: files.docx_with_part("word/styles.xml", b"\xff\xfe<\x00a"), "docx_unsafe"),
    (files.zip_bomb_docx, "docx_unsafe"),
]

PDF_REFUSED = [
    (files.pdf_with_javascript, "pdf_javascript"),
    (files.pdf_with_link_script, "pdf_javascript"),
    (lambda: files.pdf_with_open_action(files._javascript()), "pdf_javascript"),
    (files.pdf_with_open_action, "pdf_open_action"),
    (files.pdf_with_launch, "pdf_launch"),
    (files.pdf_with_embedded_file, "pdf_embedded_file"),
    (files.pdf_with_xfa, "pdf_xfa"),
    (files.pdf_with_hidden_script, "pdf_javascript"),
    (files.pdf_encrypted, "pdf_encrypted"),
    (lambda: files.UNREADABLE_PDF, "pdf_unreadable"),
]

ACCEPTED = [
    (check_docx, files.docx_bytes),
    (check_docx, files.docx_with_web_link),
    (check_docx, lambda: files.docx_with_part("word/media/eicar.txt", files.EICAR)),
    (check_pdf, lambda: files.PDF_BYTES),
    (check_pdf, files.pdf_with_web_link),
    (check_pdf, files.pdf_opening_at_first_page),
    (check_pdf, files.pdf_with_names_in_a_stream),
    (check_pdf, lambda: files.pdf_encrypted(user_password="")),  # permissions only
]


def _refusal(check: Callable[[Path], None], data: bytes, tmp_path: Path) -> UploadRejected:
    path = tmp_path / "upload"
    path.write_bytes(data)
    with pytest.raises(UploadRejected) as caught:
        check(path)
    return caught.value


@pytest.mark.parametrize(("build", "reason"), DOCX_REFUSED)
def test_word_documents_with_active_content_are_refused(build, reason, tmp_path):
    refusal = _refusal(check_docx, build(), tmp_path)
    assert refusal.reason == reason


@pytest.mark.parametrize(("build", "reason"), PDF_REFUSED)
def test_pdfs_with_active_content_are_refused(build, reason, tmp_path):
    refusal = _refusal(check_pdf, build(), tmp_path)
    assert refusal.reason == reason


@pytest.mark.parametrize(("check", "build"), ACCEPTED)
def test_ordinary_files_pass(check, build, tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(build())
    check(path)


def test_xml_is_read_by_its_first_bytes_and_by_its_declaration():
    # Bytes that start like ASCII: every byte as itself, then as UTF-8 (XML's default).
    assert xml_readings("<a>é</a>".encode(), always_xml=False) == ["<a>Ã©</a>", "<a>é</a>"]
    # UTF-16 with its mark: one reading, the declaration agreeing.
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><a/>'
    assert xml_readings(utf16.encode("utf-16"), always_xml=False) == [utf16]
    # A declaration naming another encoding is read that way too.
    utf7 = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-a/+AD4-'
    assert xml_readings(utf7, always_xml=True)[-1].endswith("<a/>")
    # Not XML at all.
    assert xml_readings(b"\x89PNG\r\n", always_xml=False) is None
