"""Versioned documents shown to visitors (privacy notice, NDA), one file per language.

Each file starts with a ``version: X`` line; the visit stores that version and the
SHA-256 of the exact bytes the visitor saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

LANGUAGES = ("en", "nl")


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    language: str
    version: str
    text: str
    sha256: str


@cache
def load(kind: str, language: str) -> Document:
    """The current version of ``kind`` ("privacy" or "nda") in ``language``."""
    if language not in LANGUAGES:
        language = "en"
    data = resources.files(__package__).joinpath(f"{kind}.{language}.md").read_bytes()
    first, _, body = data.decode("utf-8").partition("\n")
    if not first.startswith("version:"):
        raise ValueError(f"document {kind}.{language} has no version line")
    return Document(
        kind=kind,
        language=language,
        version=first.removeprefix("version:").strip(),
        text=body.strip(),
        sha256=hashlib.sha256(data).hexdigest(),
    )
