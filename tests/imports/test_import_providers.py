"""Providers an allocation import creates go through create_provider, with its rules."""

from __future__ import annotations

from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.rows import RowError
from provider_portal.models import Allocation, AuditEvent, Provider
from tests.imports.files import ALLOCATION_HEADER, table


def test_a_created_provider_is_audited_like_any_other(tmp_path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC1,Brand New Therapy,ot_advice,2024-09-02,,,"),
        actor=None,
        create_missing_providers=True,
    )
    assert result.errors == []
    provider = db.session.scalar(select(Provider))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_created"))
    assert (event.object_id, event.provider_id, event.detail) == (
        provider.id,
        provider.id,
        "via=import",
    )


def test_a_provider_name_create_provider_refuses_is_a_row_error(tmp_path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    make.case(case_ref="EHC2")
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Good Therapy,ot_advice,2024-09-02,,,",
            "EHC2,Odd\x01Name,ot_advice,2024-09-02,,,",
        ),
        actor=None,
        create_missing_providers=True,
    )
    plain = "Enter the name using letters, numbers, spaces and punctuation only"
    assert result.errors == [RowError(3, "provider", plain)]
    assert db.session.scalar(select(func.count()).select_from(Provider)) == 0
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0
