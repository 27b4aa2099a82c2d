"""Versioned documents shown to visitors (privacy notice, NDA), one file per language.

Each file starts with a ``version: X`` line; the visit stores that version and the
SHA-256 of the exact text the visitor saw. What the privacy notice promises about
keeping data comes from the retention in force, not from the file: its ``{visit_period}``,
``{nda_period}`` and ``{health}`` are filled in from :class:`Terms` (so a document holds
no other braces).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

from kiosk.i18n import LANGUAGES, N_, period, translate

HEALTH_NOT_KEPT = N_(
    "If you choose to answer the health questions, we keep only whether you may enter, "
    "not your answers."
)
HEALTH_KEPT = N_(
    "If you choose to answer the health questions, we keep your answers for {period}, "
    "then only whether you may enter."
)


class Retention(Protocol):
    """The periods in force: kiosk.config's settings or the store's policy."""

    @property
    def visit_days(self) -> int: ...
    @property
    def nda_days(self) -> int: ...
    @property
    def health_answers_days(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Terms:
    """What the documents tell a visitor about keeping their data."""

    visit_days: int = 30
    nda_days: int = 730
    health_answers_days: int = 0  # 0: answers never stored, only the outcome
    screening: bool = False  # no health questions: the notice does not mention them

    @classmethod
    def of(cls, retention: Retention, *, screening: bool) -> Terms:
        return cls(
            retention.visit_days, retention.nda_days, retention.health_answers_days, screening
        )

    def health(self, language: str) -> str:
        if not self.screening:
            return ""
        if self.health_answers_days > 0:
            days = period(self.health_answers_days, language)
            return translate(HEALTH_KEPT, language).format(period=days)
        return translate(HEALTH_NOT_KEPT, language)


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    language: str
    version: str
    text: str
    sha256: str


@cache
def load(kind: str, language: str, terms: Terms = Terms()) -> Document:
    """The current version of ``kind`` ("privacy" or "nda") in ``language``, as shown
    under ``terms``."""
    if language not in LANGUAGES:
        language = "en"
    data = resources.files(__package__).joinpath(f"{kind}.{language}.md").read_text("utf-8")
    filled = data.format(
        visit_period=period(terms.visit_days, language),
        nda_period=period(terms.nda_days, language),
        health=terms.health(language),
    )
    # No trailing spaces (an empty {health}): a document without placeholders stays
    # byte for byte its file, so `sha256sum nda.en.md` checks an acceptance's hash.
    filled = "\n".join(line.rstrip() for line in filled.split("\n"))
    first, _, body = filled.partition("\n")
    if not first.startswith("version:"):
        raise ValueError(f"document {kind}.{language} has no version line")
    return Document(
        kind=kind,
        language=language,
        version=first.removeprefix("version:").strip(),
        text=body.strip(),
        sha256=hashlib.sha256(filled.encode()).hexdigest(),
    )
