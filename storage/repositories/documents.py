"""The privacy notices and NDAs visitors were shown, kept under their SHA-256.

A visit stores the hash of the privacy notice it was shown, an NDA acceptance the hash
of the NDA; the check-in that first refers to a text writes it here, in its own
transaction (the check-in's). The rows hold no personal data and are not expired: they are what a
two-year-old acceptance is evidence of.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from kiosk.domain.documents import DocumentText, Header, KeptDocument, split_header
from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound
from storage.models import NdaAcceptance, ShownDocument, Visit


def document_row(document: DocumentText, now: datetime) -> dict[str, Any]:
    """The documents row of ``document``; refuses a text that is not what its hash is of
    (the hash is the evidence: a row under a wrong one would prove nothing)."""
    if hashlib.sha256(document.text.encode()).hexdigest() != document.sha256:
        raise ValueError(f"{document.kind}.{document.language}: the text does not match its hash")
    return {
        "sha256": document.sha256,
        "kind": document.kind,
        "language": document.language,
        "version": document.version,
        "text": document.text,
        "first_shown_at": now,
    }


def _kept(row: Any) -> KeptDocument:
    """A kept document's row with its text: its header's date and changes (a text kept
    before headers had them, or one that does not parse, has neither)."""
    kind, language, version, sha256, first_shown_at, uses, text = row
    try:
        header, _ = split_header(text)
    except ValueError:
        header = Header("")
    return KeptDocument(
        kind, language, version, sha256, first_shown_at, uses, header.effective, header.changes
    )


class DocumentRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def kept(self) -> list[KeptDocument]:
        """Every document kept, oldest first, with how many records held refer to it."""
        visits = (
            select(Visit.privacy_sha256.label("sha"), func.count().label("n"))
            .group_by(Visit.privacy_sha256)
            .subquery()
        )
        ndas = (
            select(
                NdaAcceptance.document_sha256.label("sha"),
                NdaAcceptance.document_language.label("language"),
                func.count().label("n"),
            )
            .group_by(NdaAcceptance.document_sha256, NdaAcceptance.document_language)
            .subquery()
        )
        stmt = (
            select(
                ShownDocument.kind,
                ShownDocument.language,
                ShownDocument.version,
                ShownDocument.sha256,
                ShownDocument.first_shown_at,
                func.coalesce(visits.c.n, 0) + func.coalesce(ndas.c.n, 0),
                ShownDocument.text,
            )
            .outerjoin(
                visits, and_(ShownDocument.kind == "privacy", visits.c.sha == ShownDocument.sha256)
            )
            .outerjoin(
                ndas,
                and_(
                    ShownDocument.kind == "nda",
                    ndas.c.sha == ShownDocument.sha256,
                    ndas.c.language == ShownDocument.language,
                ),
            )
            .order_by(ShownDocument.first_shown_at, ShownDocument.kind, ShownDocument.language)
        )
        with db_errors(), self.db.read_session() as s:
            return [_kept(row) for row in s.execute(stmt)]

    def text(self, sha256: str) -> str:
        """The exact text kept under ``sha256`` (its SHA-256 is that hash)."""
        with db_errors(), self.db.read_session() as s:
            found = s.scalar(
                select(ShownDocument.text).where(ShownDocument.sha256 == sha256).limit(1)
            )
        if found is None:
            raise NotFound(f"no document with SHA-256 {sha256}")
        return found
