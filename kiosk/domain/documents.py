"""The privacy notices and NDAs visitors were shown, as records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A privacy notice or NDA as shown: ``text`` is exactly what ``sha256`` is of."""

    kind: str
    language: str
    version: str
    sha256: str
    text: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Its row's key in the documents table."""
        return (self.sha256, self.kind, self.language)


@dataclass(frozen=True, slots=True)
class KeptDocument:
    """A document kept in the database, with how many records held refer to it: NDA
    acceptances in its language; for a privacy notice, visits with its hash (a visit
    does not record the notice's language)."""

    kind: str
    language: str
    version: str
    sha256: str
    first_shown_at: datetime
    uses: int
