"""The privacy notices and NDAs visitors were shown, as records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

HEADER_LINE = re.compile(r"(version|effective|changes):[ \t]*(.*)")
MAX_CHANGES = 200


@dataclass(frozen=True, slots=True)
class Header:
    """A document's first lines: ``version: X``, then optionally ``effective:
    YYYY-MM-DD`` (the day this version applies from) and ``changes: ...`` (what changed
    from the version before, in a sentence)."""

    version: str
    effective: date | None = None
    changes: str = ""


def split_header(text: str) -> tuple[Header, str]:
    """A document's header and its body (what a visitor reads under it). Raises
    ValueError naming the line for an effective date that is no date, or changes longer
    than MAX_CHANGES characters; a text without a version line has the version ""."""
    lines = text.split("\n")
    fields: dict[str, str] = {}
    while lines and (m := HEADER_LINE.fullmatch(lines[0])) and m[1] not in fields:
        if not fields and m[1] != "version":
            break
        fields[m[1]] = m[2].strip()
        lines.pop(0)
    effective = None
    if "effective" in fields:
        try:
            effective = date.fromisoformat(fields["effective"])
        except ValueError:
            raise ValueError("the 'effective:' line must be a date, YYYY-MM-DD") from None
    changes = fields.get("changes", "")
    if len(changes) > MAX_CHANGES:
        raise ValueError(f"the 'changes:' line is longer than {MAX_CHANGES} characters")
    return Header(fields.get("version", ""), effective, changes), "\n".join(lines)


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
    effective: date | None = None
    changes: str = ""
