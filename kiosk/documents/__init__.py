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
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Protocol

from kiosk.domain.documents import DocumentText, split_header
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
    text: str  # the body, as shown
    sha256: str
    hashed: str  # exactly what sha256 is of: the header lines and the body, as filled
    effective: date | None = None  # the day this version applies from (its header)
    changes: str = ""  # what changed from the version before (its header)

    def as_shown(self) -> DocumentText:
        """What the store keeps of it (the first visit to refer to it writes it)."""
        return DocumentText(self.kind, self.language, self.version, self.sha256, self.hashed)


# Every document loaded in this process by kind, language and hash: a check-in names the
# documents its visitor saw so, and the store keeps their texts.
_LOADED: dict[tuple[str, str, str], Document] = {}


def loaded(kind: str, language: str, sha256: str) -> Document | None:
    """The ``kind`` document in ``language`` loaded here whose hash is ``sha256``."""
    return _LOADED.get((kind, language, sha256))


KINDS = ("privacy", "nda")
PLACEHOLDERS = frozenset({"visit_period", "nda_period", "health"})
MAX_BYTES = 64 * 1024
MAX_VERSION = 32  # the width of the version columns


class DocumentError(ValueError):
    """An office's document file cannot be shown; the message names the file."""


@cache
def office_files(folder: Path) -> dict[tuple[str, str], Path]:
    """The office's own documents in ``folder``, by (kind, language), each read and
    checked once per process (at start). Raises DocumentError naming the file: a kind
    given in one language and not in another (a Dutch visitor would sign another text),
    no version line, an unknown ``{placeholder}`` or a lone brace, not UTF-8, too long."""
    if not folder.is_dir():
        raise DocumentError(f"{folder} is not a folder")
    found: dict[tuple[str, str], Path] = {}
    for kind in KINDS:
        paths = {lang: folder / f"{kind}.{lang}.md" for lang in LANGUAGES}
        present = {lang: p for lang, p in paths.items() if p.is_file()}
        if present and len(present) < len(paths):
            missing = sorted(str(p.name) for lang, p in paths.items() if lang not in present)
            raise DocumentError(
                f"{folder}: {', '.join(missing)} missing: a document given in one language "
                "is needed in all (a copy of another language's file will do)"
            )
        for lang, path in present.items():
            office_source(path)
            found[(kind, lang)] = path
    return found


@cache
def office_source(path: Path) -> str:
    """An office's document file, read and checked once per process (at start, by
    :func:`office_files`): a file edited later, even into one that cannot be shown, does
    not reach a kiosk until it restarts, and the check at that start names it."""
    source = _read(path)
    _check_source(path, source)
    return source


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{path}: longer than {MAX_BYTES // 1024} KB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None


def _check_source(path: Path | str, source: str) -> None:
    first = source.partition("\n")[0]
    version = first.removeprefix("version:").strip()
    if not first.startswith("version:") or not version or len(version) > MAX_VERSION:
        raise DocumentError(
            f"{path}: the first line must be 'version: X' (X 1 to {MAX_VERSION} characters)"
        )
    try:
        split_header(source)
    except ValueError as exc:
        raise DocumentError(f"{path}: {exc}") from None
    try:
        parsed = list(Formatter().parse(source))
    except ValueError:
        raise DocumentError(f"{path}: a lone {{ or }} (write {{{{ or }}}} for one)") from None
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            known = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise DocumentError(
                f"{path}: {{{written}}} is not a placeholder the kiosk fills (it fills "
                f"{known}; write {{{{ or }}}} for a brace)"
            )


@cache
def load(kind: str, language: str, terms: Terms = Terms(), folder: Path | None = None) -> Document:
    """The current version of ``kind`` ("privacy" or "nda") in ``language``, as shown
    under ``terms``: the office's file in ``folder`` when it gives that kind (checked at
    start with :func:`office_files`), else the built-in one."""
    if language not in LANGUAGES:
        language = "en"
    own = office_files(folder).get((kind, language)) if folder is not None else None
    if own is not None:
        data = office_source(own)
    else:
        data = resources.files(__package__).joinpath(f"{kind}.{language}.md").read_text("utf-8")
    filled = data.format(
        visit_period=period(terms.visit_days, language),
        nda_period=period(terms.nda_days, language),
        health=terms.health(language),
    )
    # No trailing spaces (an empty {health}): a document without placeholders stays
    # byte for byte its file, so `sha256sum nda.en.md` checks an acceptance's hash.
    filled = "\n".join(line.rstrip() for line in filled.split("\n"))
    header, body = split_header(filled)
    document = Document(
        kind=kind,
        language=language,
        version=header.version,
        text=body.strip(),
        effective=header.effective,
        changes=header.changes,
        sha256=hashlib.sha256(filled.encode()).hexdigest(),
        hashed=filled,
    )
    _LOADED[(kind, language, document.sha256)] = document
    return document
