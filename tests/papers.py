"""Case papers for tests: image bytes, a manager adding a paper through the case page, and
a paper added and shared through the services."""

from __future__ import annotations

import io

from werkzeug.test import TestResponse

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import Allocation, CasePaper, User
from provider_portal.papers.services import add_paper, share
from tests.files import PDF_BYTES
from tests.helpers import PortalClient

# The start of a JPEG (JFIF) and of a PNG: the content check reads the signature only.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def post_paper(
    client: PortalClient,
    case_id: int,
    data: bytes = PDF_BYTES,
    filename: str = "request.pdf",
    kind: str = "request_for_assessment",
    title: str = "Request for assessment",
    nonce: str | None = None,
) -> TestResponse:
    """A manager adds a paper with the case page's form (a fresh nonce unless given)."""
    return client.post(
        f"/cases/{case_id}/papers",
        {
            "paper-kind": kind,
            "paper-title": title,
            "paper-file": (io.BytesIO(data), filename),
            "paper-nonce": nonce or new_nonce(),
        },
        content_type="multipart/form-data",
    )


def shared_paper(
    allocation: Allocation,
    actor: User,
    kind: str = "request_for_assessment",
    title: str = "Request for assessment",
) -> CasePaper:
    """A PDF paper on the allocation's case, shared with it and committed."""
    paper = add_paper(
        allocation.case,
        kind,
        title,
        io.BytesIO(PDF_BYTES),
        "paper.pdf",
        actor=actor,
        nonce=new_nonce(),
    )
    share(allocation, [paper], actor=actor)
    db.session.commit()
    return paper
