"""The privacy notices and NDAs visitors were shown, kept under their SHA-256: what an NDA
acceptance or a visit with that hash was shown (`kiosk documents`)."""

from __future__ import annotations

from kiosk.domain.documents import KeptDocument
from kiosk.services.context import ServiceContext


class DocumentService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.repos = ctx.repos

    def kept(self) -> list[KeptDocument]:
        """Every text shown, oldest first, with how many records held refer to it."""
        return self.repos.documents.kept()

    def text(self, sha256: str) -> str:
        """The exact text kept under ``sha256``; raises NotFound."""
        return self.repos.documents.text(sha256.strip().lower())
