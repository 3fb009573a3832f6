"""What a Word document or PDF could run, fetch or hide: refused by name before it is stored.

Providers' files are opened by council staff on council machines, so an upload may carry
nothing that runs or reaches out when it is opened:

- DOCX (a zip of XML parts): macros, OLE objects and ActiveX controls, alt chunks (HTML, MHT
  or RTF pulled into the document), and relationships to anything outside the file (a remote
  template, a picture on another server) except plain web and email links. Every XML part is
  decoded as its byte order mark and its declaration say, UTF-16 included, and refused if
  either reading holds a DOCTYPE: without one, no entity can be declared, so none is ever
  expanded when the parts are parsed here or anywhere else. The zip is read within limits
  (parts, unpacked size, ratio) fixed before anything is unpacked.
- PDF: JavaScript, an action that runs on opening, Launch actions, embedded files and XFA
  forms, found by walking every object reachable from the document catalogue with pypdf
  (names tree, annotations, outlines, form fields...), then by a scan of the raw bytes
  outside streams for the same names as a backstop for files the parser reads differently.
  A PDF the parser cannot read, or an encrypted one it cannot open, is refused.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from provider_portal.errors import UploadRejected

NOT_PDF_OR_DOCX = "The file must be a PDF or a Word document (.docx)"

MAX_DOCX_ENTRIES = 1000
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
MAX_DOCX_RATIO = 100
# Objects walked in one PDF: far above any real report, low enough to answer in seconds.
MAX_PDF_OBJECTS = 200_000

MESSAGES = {
    "docx_unsafe": "The Word document could not be checked safely",
    "docx_too_many_parts": "The Word document has too many parts to be checked safely",
    "macros": "Word documents with macros cannot be uploaded. Save it as .docx",
    "ole_activex": (
        "Word documents with embedded objects or ActiveX controls cannot be uploaded. "
        "Remove them, or save the document as a PDF"
    ),
    "altchunk": (
        "Word documents with embedded web pages or other documents (alt chunks) cannot be "
        "uploaded. Copy the text into the document, or save it as a PDF"
    ),
    "external_relationship": (
        "Word documents that load a template, picture or other content from outside the "
        "file cannot be uploaded. Remove the link, or save the document as a PDF"
    ),
    "xml_doctype": (
        "The Word document contains a document type declaration (DOCTYPE), which is not "
        "allowed. Save it again from Word"
    ),
    "pdf_unreadable": "The PDF could not be read. Save it again as a PDF and upload that",
    "pdf_encrypted": (
        "Password-protected or encrypted PDFs cannot be uploaded. Save it without a password"
    ),
    "pdf_javascript": "PDFs containing JavaScript cannot be uploaded. Save it again without it",
    "pdf_open_action": (
        "PDFs that run an action when they are opened cannot be uploaded. Save it again without it"
    ),
    "pdf_launch": (
        "PDFs that start other programs (launch actions) cannot be uploaded. "
        "Save it again without them"
    ),
    "pdf_embedded_file": (
        "PDFs with files attached or embedded in them cannot be uploaded. "
        "Upload each document on its own"
    ),
    "pdf_xfa": (
        "PDFs made with XFA forms cannot be uploaded. Print or save the form as an ordinary PDF"
    ),
}


def refused(reason: str) -> UploadRejected:
    """The refusal for reason, with the message the person sees."""
    return UploadRejected(MESSAGES[reason], reason=reason)


# --- DOCX ---------------------------------------------------------------------------------

# The last segment of a relationship's Type, in lower case, and what it brings in.
RELATIONSHIP_REASONS = {
    "vbaproject": "macros",
    "wordvbadata": "macros",
    "keymapcustomizations": "macros",
    "oleobject": "ole_activex",
    "package": "ole_activex",
    "control": "ole_activex",
    "activexcontrolbinary": "ole_activex",
    "afchunk": "altchunk",
}
# Words in a part's content type, in lower case.
CONTENT_TYPE_REASONS = {
    "macroenabled": "macros",
    "vbaproject": "macros",
    "vbadata": "macros",
    "oleobject": "ole_activex",
    "activex": "ole_activex",
    "xhtml": "altchunk",
    "text/html": "altchunk",
    "message/rfc822": "altchunk",
    "multipart/related": "altchunk",
    "rtf": "altchunk",
}
ALTCHUNK_EXTENSIONS = (".mht", ".mhtml", ".htm", ".html", ".xhtml", ".rtf")
# The only outside targets allowed: links a reader chooses to follow, never fetched on opening.
LINK_SCHEMES = ("http://", "https://", "mailto:")
# Parts always written as XML: if one cannot be decoded, it cannot be checked.
XML_EXTENSIONS = (".xml", ".rels", ".vml")

_DECLARED_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNMARKED = (
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)


def _detected_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding the first bytes show (byte order mark, or how '<' is written) and the
    length of the mark; None when the part does not start like XML at all."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    for start, encoding in _UNMARKED:
        if data.startswith(start):
            return encoding, 0
    if data.lstrip(b" \t\r\n").startswith(b"<"):
        # ASCII-compatible: read as Latin-1 (every byte is a character) to find the
        # declaration; the declared encoding, if any, is then applied as well.
        return "latin-1", 0
    return None


def _same_codec(declared: str, detected: str) -> bool:
    """Whether the declared encoding reads the bytes as the detected one does ("UTF-16" with
    a little-endian mark is UTF-16LE)."""
    return declared == detected or (
        declared in ("utf-16", "utf-32") and detected.startswith(declared)
    )


def xml_readings(data: bytes, always_xml: bool) -> list[str] | None:
    """The part as text in each way a parser could read it: by its byte order mark or first
    bytes, and by the encoding its declaration names (UTF-8 when it names none). None when
    the part is not XML.

    A part that must be XML and cannot be decoded, or names an encoding that does not
    exist, is refused: what cannot be read cannot be checked.
    """
    detected = _detected_encoding(data)
    if detected is None:
        if always_xml:
            raise refused("docx_unsafe")
        return None
    encoding, skip = detected
    body = data[skip:]
    try:
        readings = [body.decode(encoding)]
        declared = _DECLARED_ENCODING.match(readings[0][:500])
        if declared:
            codec = codecs.lookup(declared.group(1)).name
        else:
            codec = "utf-8" if encoding == "latin-1" else encoding
        if not _same_codec(codec, codecs.lookup(encoding).name):
            readings.append(body.decode(codec))
    except (LookupError, UnicodeDecodeError) as error:
        if always_xml:
            raise refused("docx_unsafe") from error
        return None
    return readings


def _parse(text: str) -> ElementTree.Element:
    """Parse a part already checked to have no DOCTYPE (so no entity can be declared)."""
    try:
        return ElementTree.fromstring(_DECLARATION.sub("", text, count=1))
    except ElementTree.ParseError as error:
        raise refused("docx_unsafe") from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(root: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    """Every element called name, whatever namespace it is written in."""
    return (element for element in root.iter() if _local(element.tag) == name)


def _check_relationships(root: ElementTree.Element) -> None:
    for relationship in _elements(root, "Relationship"):
        kind = relationship.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in RELATIONSHIP_REASONS:
            raise refused(RELATIONSHIP_REASONS[kind])
        if relationship.get("TargetMode", "").strip().lower() == "external":
            target = relationship.get("Target", "").strip().lower()
            if kind != "hyperlink" or not target.startswith(LINK_SCHEMES):
                raise refused("external_relationship")


def _content_type_reason(content_type: str) -> str | None:
    lowered = content_type.lower()
    return next((r for word, r in CONTENT_TYPE_REASONS.items() if word in lowered), None)


def _check_content_types(root: ElementTree.Element, names: list[str]) -> None:
    """The content type of every part in the package (by its override, or its extension)."""
    defaults = {
        element.get("Extension", "").lower(): element.get("ContentType", "")
        for element in _elements(root, "Default")
    }
    overrides = {
        element.get("PartName", "").lstrip("/").lower(): element.get("ContentType", "")
        for element in _elements(root, "Override")
    }
    for name in names:
        part = name.lower()
        suffix = PurePosixPath(part).suffix.lstrip(".")
        reason = _content_type_reason(overrides.get(part, defaults.get(suffix, "")))
        if reason:
            raise refused(reason)


def _name_reason(name: str) -> str | None:
    path = PurePosixPath(name.lower())
    if path.name in ("vbaproject.bin", "vbadata.xml"):
        return "macros"
    if "embeddings" in path.parts[:-1] or "activex" in path.parts[:-1]:
        return "ole_activex"
    if path.suffix in ALTCHUNK_EXTENSIONS:
        return "altchunk"
    return None


def _check_zip_limits(entries: list[zipfile.ZipInfo]) -> None:
    """Limits read from the zip's directory, before anything is unpacked."""
    if len(entries) > MAX_DOCX_ENTRIES:
        raise refused("docx_too_many_parts")
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if unpacked > MAX_DOCX_UNPACKED or unpacked / packed > MAX_DOCX_RATIO:
        raise refused("docx_unsafe")
    lowered = [entry.filename.lower() for entry in entries]
    if len(set(lowered)) != len(lowered):
        # Two parts with one name: programs differ over which one they read.
        raise refused("docx_unsafe")


def _read_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes | None:
    """The part's bytes if it is XML (judged by its name or first bytes), else None.

    zipfile stops at the size the directory declares (and fails on a wrong checksum), so
    a part cannot unpack to more than the limits above allowed.
    """
    always_xml = entry.filename.lower().endswith(XML_EXTENSIONS)
    with archive.open(entry) as handle:
        head = handle.read(4)
        if not always_xml and _detected_encoding(head) is None:
            return None
        return head + handle.read()


def _check_parts(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    names = [entry.filename for entry in entries if not entry.is_dir()]
    for name in names:
        reason = _name_reason(name)
        if reason:
            raise refused(reason)
    for entry in entries:
        if entry.is_dir():
            continue
        data = _read_part(archive, entry)
        always_xml = entry.filename.lower().endswith(XML_EXTENSIONS)
        readings = xml_readings(data, always_xml) if data is not None else None
        if not readings:
            continue
        if any(_DOCTYPE.search(text) for text in readings):
            raise refused("xml_doctype")
        if entry.filename == "[Content_Types].xml":
            if any("macroenabled" in text.lower() for text in readings):
                raise refused("macros")
            _check_content_types(_parse(readings[-1]), names)
        elif entry.filename.lower().endswith(".rels"):
            _check_relationships(_parse(readings[-1]))


def check_docx(path: Path) -> None:
    """Refuse a zip that is not a Word document, or a Word document with active content."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_zip_limits(entries)
            names = {entry.filename for entry in entries}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise UploadRejected(NOT_PDF_OR_DOCX, reason="not_pdf_or_docx")
            _check_parts(archive, entries)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise UploadRejected(NOT_PDF_OR_DOCX, reason="not_pdf_or_docx") from error
    except (RuntimeError, NotImplementedError, ValueError) as error:
        # An encrypted part, an unknown compression method or a malformed entry.
        raise refused("docx_unsafe") from error


# --- PDF ----------------------------------------------------------------------------------

# Action types (the /S of an action dictionary) and what they do.
ACTION_REASONS = {
    "/JavaScript": "pdf_javascript",
    "/Launch": "pdf_launch",
    "/GoToE": "pdf_embedded_file",
}
# Keys that hold script, files or XFA wherever they appear.
KEY_REASONS = {
    "/JS": "pdf_javascript",
    "/JavaScript": "pdf_javascript",
    "/EmbeddedFiles": "pdf_embedded_file",
    "/EmbeddedFile": "pdf_embedded_file",
    "/EF": "pdf_embedded_file",
    "/RichMedia": "pdf_embedded_file",
    "/XFA": "pdf_xfa",
}
# Values of /Type or /Subtype that mean an embedded file.
TYPE_REASONS = {
    "/EmbeddedFile": "pdf_embedded_file",
    "/FileAttachment": "pdf_embedded_file",
    "/RichMedia": "pdf_embedded_file",
}
# The same names as raw bytes, for the backstop scan.
RAW_NAME_REASONS = {
    b"JS": "pdf_javascript",
    b"JavaScript": "pdf_javascript",
    b"Launch": "pdf_launch",
    b"EmbeddedFile": "pdf_embedded_file",
    b"EmbeddedFiles": "pdf_embedded_file",
    b"XFA": "pdf_xfa",
}
_RAW_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A stream's data starts after the keyword (not the end of "endstream") and its line end.
_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\r|\n)")


def _value(dictionary: DictionaryObject, key: str) -> object:
    """The entry's value, followed if it is a reference."""
    value = dict.get(dictionary, key)
    return value.get_object() if isinstance(value, IndirectObject) else value


def _dictionary_reason(dictionary: DictionaryObject) -> str | None:
    for key in dict.keys(dictionary):
        if key in KEY_REASONS:
            return KEY_REASONS[key]
    action = _value(dictionary, "/S")
    if isinstance(action, NameObject) and action in ACTION_REASONS:
        return ACTION_REASONS[action]
    for key in ("/Type", "/Subtype"):
        value = _value(dictionary, key)
        if isinstance(value, NameObject) and value in TYPE_REASONS:
            return TYPE_REASONS[value]
    return None


def _open_action_reason(catalog: DictionaryObject) -> str | None:
    """An action run on opening; a destination (open at a page, say) is no action."""
    action = _value(catalog, "/OpenAction")
    if not isinstance(action, DictionaryObject):
        return None
    return ACTION_REASONS.get(str(_value(action, "/S")), "pdf_open_action")


def _walk_pdf(catalog_reference: object) -> None:
    """Every object reachable from the catalogue, each once, looked at for active content."""
    seen: set[tuple[int, int]] = set()
    stack = [catalog_reference]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_PDF_OBJECTS:
                raise refused("pdf_unreadable")
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            reason = _dictionary_reason(item)
            if reason:
                raise refused(reason)
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _syntax_outside_streams(data: bytes) -> Iterator[bytes]:
    """The file's bytes with the data of every stream left out."""
    position = 0
    while match := _STREAM_START.search(data, position):
        yield data[position : match.start()]
        end = data.find(b"endstream", match.end())
        if end < 0:
            return
        position = end + len(b"endstream")
    yield data[position:]


def _raw_reason(data: bytes) -> str | None:
    """A backstop for files the parser reads differently from other programs: the names of
    script, launch, embedded files and XFA written anywhere outside stream data."""
    for part in _syntax_outside_streams(data):
        for match in _RAW_NAME.finditer(part):
            name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
            if name in RAW_NAME_REASONS:
                return RAW_NAME_REASONS[name]
    return None


def _check_pdf_structure(data: bytes) -> None:
    encrypted = False
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if encrypted and not reader.decrypt(""):
            raise refused("pdf_encrypted")
        catalog_reference = reader.trailer.raw_get("/Root")
        catalog = catalog_reference.get_object()
        if not isinstance(catalog, DictionaryObject):
            raise refused("pdf_unreadable")
        reason = _open_action_reason(catalog)
        if reason:
            raise refused(reason)
        _walk_pdf(catalog_reference)
    except UploadRejected:
        raise
    except Exception as error:  # hostile bytes can fail a parser anywhere: a refusal
        raise refused("pdf_encrypted" if encrypted else "pdf_unreadable") from error


def check_pdf(path: Path) -> None:
    """Refuse a PDF that pypdf cannot read, or one with script, actions, files or XFA."""
    data = path.read_bytes()
    _check_pdf_structure(data)
    reason = _raw_reason(data)
    if reason:
        raise refused(reason)
