"""Write the upload checks' files (tests/security/README.md) into a folder, one per check:

    .venv/bin/python -m tests.security.upload_files /tmp/upload-checks

Each is the small, real file the tests upload (tests/files.py), named for what it carries.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tests import files

# name -> (the bytes, what the portal must answer)
UPLOADS: dict[str, tuple[Callable[[], bytes], str]] = {
    "clean.pdf": (lambda: files.PDF_BYTES, "303: stored"),
    "clean.docx": (files.docx_bytes, "303: stored"),
    "web-link.docx": (files.docx_with_web_link, "303: stored (plain web links are allowed)"),
    "eicar.pdf": (lambda: files.pdf_with_stream(files.EICAR), "200: contains a virus"),
    "eicar.docx": (
        lambda: files.docx_with_part("word/media/eicar.com", files.EICAR),
        "200: contains a virus",
    ),
    "macro.docm": (lambda: files.docx_bytes({"word/vbaProject.bin": b"\xd0\xcf"}), "200: macros"),
    "macro-by-relationship.docx": (files.docx_with_macro_relationship, "200: macros"),
    "remote-template.docx": (files.docx_with_remote_template, "200: load a template"),
    "external-picture.docx": (files.docx_with_external_picture, "200: load a template, picture"),
    "ole-object.docx": (files.docx_with_ole_object, "200: embedded objects or ActiveX"),
    "activex.docx": (files.docx_with_activex, "200: embedded objects or ActiveX"),
    "altchunk.docx": (files.docx_with_altchunk, "200: embedded web pages"),
    "xxe-utf16.docx": (lambda: files.docx_with_doctype("utf-16"), "200: DOCTYPE"),
    "xxe-utf7.docx": (lambda: files.docx_with_doctype("utf-7"), "200: DOCTYPE"),
    "xxe-content-types.docx": (files.docx_with_content_types_doctype, "200: DOCTYPE"),
    "javascript.pdf": (files.pdf_with_javascript, "200: JavaScript"),
    "link-javascript.pdf": (files.pdf_with_link_script, "200: JavaScript"),
    "hidden-javascript.pdf": (files.pdf_with_hidden_script, "200: JavaScript"),
    "open-action.pdf": (files.pdf_with_open_action, "200: run an action when they are opened"),
    "launch.pdf": (files.pdf_with_launch, "200: start other programs"),
    "embedded-file.pdf": (files.pdf_with_embedded_file, "200: files attached or embedded"),
    "xfa.pdf": (files.pdf_with_xfa, "200: XFA forms"),
    "unreadable.pdf": (lambda: files.UNREADABLE_PDF, "200: could not be read"),
}


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (build, expected) in UPLOADS.items():
        (folder / name).write_bytes(build())
        print(f"{name:28} {expected}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "upload-checks"))
