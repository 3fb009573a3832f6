"""A provider organisation with an administrator, two practitioners and one allocation."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from provider_portal.models import Allocation, Case, Provider, Role, User
from tests.factories import Factory
from tests.files import PDF_BYTES
from tests.helpers import PortalClient


@dataclass
class Organisation:
    provider: Provider
    admin: User
    p1: User
    p2: User
    case: Case
    allocation: Allocation


@pytest.fixture
def org(make: Factory) -> Organisation:
    """Northbrook: Helen (administrator), Tom (P1) and Ravi (P2); EP advice on one case,
    allocated on 1 August 2024 and not yet answered or assigned."""
    provider = make.provider("Northbrook Psychology")
    admin = make.user(Role.PROVIDER_ADMIN, provider=provider, name="Helen Ward")
    p1 = make.user(Role.PRACTITIONER, provider=provider, name="Tom Okafor")
    p2 = make.user(Role.PRACTITIONER, provider=provider, name="Ravi Shah")
    case = make.case(case_ref="EHC24-0101")
    allocation = make.allocation(case=case, provider=provider, allocated_on=date(2024, 8, 1))
    return Organisation(provider, admin, p1, p2, case, allocation)


def upload(client: PortalClient, allocation_id: int, data: bytes = PDF_BYTES) -> TestResponse:
    return client.post(
        f"/provider/allocations/{allocation_id}/documents",
        {"upload-document": (io.BytesIO(data), "report.pdf")},
        content_type="multipart/form-data",
    )


Uploader = Callable[..., TestResponse]


@pytest.fixture
def uploader(make: Factory, client_for: Callable[..., PortalClient]) -> Uploader:
    """uploader(data, filename, htmx=False): a practitioner uploads to work their
    organisation took on."""
    provider = make.provider()
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(
        provider=provider, assigned_to_id=practitioner.id, provider_accepted_on=date(2024, 8, 2)
    )
    client = client_for(practitioner)

    def upload(data: bytes, filename: str, htmx: bool = False) -> TestResponse:
        return client.post(
            f"/provider/allocations/{allocation.id}/documents",
            {"upload-document": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
            htmx=htmx,
        )

    return upload


def stored_files(app: Flask) -> list[str]:
    """Everything in the upload folder, temp files included."""
    return sorted(os.listdir(app.config["UPLOAD_FOLDER"]))
