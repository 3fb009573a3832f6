"""Each person's answers to "which of your columns is…?", kept for the next file like it.

A mapping belongs to one user, one kind of import and one header row (its headers_key: the
SHA-256 of the normalised headers, in order), so a council's monthly export is matched the same
way every month without asking again, and nobody else's choices change it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.imports.columns import column_names, headers_key
from provider_portal.models import ImportMapping, User


def _row(user: User, kind: str, headers: Sequence[str]) -> ImportMapping | None:
    return db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.user_id == user.id,
            ImportMapping.kind == kind,
            ImportMapping.headers_key == headers_key(headers),
        )
    )


def saved_mapping(user: User, kind: str, headers: Sequence[str]) -> dict[str, str]:
    """{the file's header: portal column} the user chose for this header row, or {}."""
    row = _row(user, kind, headers)
    if row is None:
        return {}
    stored = json.loads(row.mapping)
    known = set(column_names(kind))
    # The same key means the same headers, spelled alike once normalised, so every header
    # is in the file; a portal column since renamed is simply asked about again.
    return {str(header): str(name) for header, name in stored.items() if name in known}


def save_mapping(
    actor: User, kind: str, headers: Sequence[str], mapping: Mapping[str, str]
) -> None:
    """Remember the user's mapping for this header row (replacing any before); the caller
    commits. Audited with the columns chosen, never the file's contents."""
    text = json.dumps(dict(mapping), sort_keys=True)
    row = _row(actor, kind, headers)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ImportMapping(
                        user_id=actor.id, kind=kind, headers_key=headers_key(headers), mapping=text
                    )
                )
        except IntegrityError:
            # The same person saved it in another tab a moment ago: theirs is replaced.
            row = _row(actor, kind, headers)
    if row is not None:
        row.mapping = text
    audit.record(
        "import_columns_matched",
        detail=f"kind={kind} columns={','.join(sorted(mapping.values()))}",
        actor=actor,
    )
