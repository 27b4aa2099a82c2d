"""The visit's seal: every column of a visit outside its encrypted envelope, bound to it.

The envelope (storage.codec) is AES-GCM; its associated data covers, besides the table,
row and data key, one text holding every other column of the row: the day, arrival,
departure, host, the flags (NDA, confirmation, screening flag, restriction, automatic
check-out, visitor type), site, creation time, blind indexes, badge hash, privacy notice
and age. A direct ``UPDATE visits SET departed_at = ...`` (or any of those) in the
database therefore fails the envelope's authentication on the next read, which names the
record; it is never silently used. The seal costs no extra MAC: the tag the envelope
carries anyway covers it.

The text is built twice, and both must agree byte for byte: in SQL, as part of the one
text column storage.fastread selects (so a day's read gets it for almost nothing), and in
Python, when a row is written (a check-in, a check-out, a correction). Times are ISO text
in UTC with microseconds and "+00:00", ids 32 hex digits, the badge hash lower-case hex,
missing values empty, fields apart by U+001F.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.sql.elements import ColumnElement

from kiosk.domain.visits import (
    FLAG_AUTO_CHECKOUT,
    FLAG_FLAGGED,
    FLAG_NDA,
    FLAG_NEEDS_CONFIRMATION,
    FLAG_RESTRICTED,
    VisitorType,
)
from storage.crypto import field_ad

TYPE_LIST = tuple(VisitorType)
TYPE_SHIFT = 5
_TYPE_INDEX = {t.value: i for i, t in enumerate(TYPE_LIST)}
FLAG_COLUMNS = (
    ("nda_accepted", FLAG_NDA),
    ("needs_confirmation", FLAG_NEEDS_CONFIRMATION),
    ("flagged", FLAG_FLAGGED),
    ("restricted", FLAG_RESTRICTED),
    ("auto_checkout", FLAG_AUTO_CHECKOUT),
)
# The FLAG_* bits plus the visitor type's index << TYPE_SHIFT; NULL for an unknown type.
FLAGS_SQL = (
    "("
    + " + ".join(f"CASE WHEN visits.{column} THEN {bit} ELSE 0 END" for column, bit in FLAG_COLUMNS)
    + " + CASE visits.visitor_type "
    + " ".join(f"WHEN '{t.value}' THEN {i << TYPE_SHIFT}" for i, t in enumerate(TYPE_LIST))
    + " END)"
)
SEP = "\x1f"
# Where the seal text starts in the associated data (after table, column, row, key).
_AD_MARK = b"\x1e"


def _pg_hex(column: str) -> str:
    return f"replace(CAST(visits.{column} AS TEXT), '-', '')"


def _pg_time(column: str) -> str:
    return f"to_char(visits.{column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'"


@functools.cache
def seal_sql(dialect: str) -> str:
    """The seal text as an SQL expression over ``visits``: ``day + arrival``, then the
    other fields after U+001F each (see the module's docstring)."""
    sep = "char(31)" if dialect == "sqlite" else "chr(31)"
    if dialect == "sqlite":
        time, hexid = "visits.{0} || '+00:00'", "visits.{0}"
        flags = f"{FLAGS_SQL}"
        as_text, badge = "{0}", "lower(hex(visits.badge_hash))"
        day = "visits.local_day"
    else:
        time, hexid = _pg_time("{0}"), _pg_hex("{0}")
        flags = f"CAST({FLAGS_SQL} AS TEXT)"
        as_text, badge = "CAST({0} AS TEXT)", "encode(visits.badge_hash, 'hex')"
        day = "to_char(visits.local_day, 'YYYY-MM-DD')"
    fields = [
        f"{day} || {time.format('arrived_at')}",
        f"coalesce({time.format('departed_at')}, '')",
        f"coalesce({hexid.format('host_id')}, '')",
        f"coalesce({flags}, 'x')",
        hexid.format("site_id"),
        time.format("created_at"),
        f"coalesce({as_text.format('visits.email_bidx')}, '')",
        f"coalesce({as_text.format('visits.phone_bidx')}, '')",
        badge,
        "visits.privacy_version",
        "visits.privacy_sha256",
        "CASE WHEN visits.under_16 THEN '1' ELSE '0' END",
    ]
    return f" || {sep} || ".join(f"({f})" for f in fields)


def seal_column(dialect: str) -> ColumnElement[Any]:
    return literal_column(seal_sql(dialect))


def _time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") + "+00:00"


def flags_of(row: Mapping[str, Any]) -> int | None:
    index = _TYPE_INDEX.get(row["visitor_type"])
    if index is None:
        return None
    bits = sum(bit for column, bit in FLAG_COLUMNS if row[column])
    return bits + (index << TYPE_SHIFT)


def seal_text(row: Mapping[str, Any]) -> str:
    """The seal text of a visit row given as its column values (what :func:`seal_sql`
    computes from the stored row)."""
    flags = flags_of(row)
    day: date = row["local_day"]
    host: uuid.UUID | None = row["host_id"]
    email, phone = row["email_bidx"], row["phone_bidx"]
    site: uuid.UUID = row["site_id"]
    return SEP.join(
        [
            day.isoformat() + _time(row["arrived_at"]),
            _time(row["departed_at"]),
            host.hex if host is not None else "",
            "x" if flags is None else str(flags),
            site.hex,
            _time(row["created_at"]),
            "" if email is None else str(email),
            "" if phone is None else str(phone),
            bytes(row["badge_hash"]).hex(),
            row["privacy_version"],
            row["privacy_sha256"],
            "1" if row["under_16"] else "0",
        ]
    )


SEALED_COLUMNS = (
    "local_day",
    "arrived_at",
    "departed_at",
    "host_id",
    "visitor_type",
    *(column for column, _ in FLAG_COLUMNS),
    "site_id",
    "created_at",
    "email_bidx",
    "phone_bidx",
    "badge_hash",
    "privacy_version",
    "privacy_sha256",
    "under_16",
)


def sealed_ad(table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID, sealed: str) -> bytes:
    """The associated data of a sealed ciphertext: table, column, row, key and the seal
    text of the row's other columns."""
    return field_ad(table, column, row_id, key_id) + _AD_MARK + sealed.encode()


def visit_ad(visit_id: uuid.UUID, key_id: uuid.UUID, sealed: str) -> bytes:
    """The associated data of a visit's envelope: table, column, row, key and seal."""
    return sealed_ad("visits", "personal", visit_id, key_id, sealed)


def nda_seal(row: Mapping[str, Any]) -> str:
    """An NDA acceptance's seal: every column but its ciphertext, key and visit (the
    database sets the visit to NULL when the visit is purged, years before the NDA)."""
    site: uuid.UUID = row["site_id"]
    return SEP.join(
        [
            site.hex,
            _time(row["created_at"]),
            row["document_version"],
            row["document_language"],
            row["document_sha256"],
        ]
    )


def invitation_seal(row: Mapping[str, Any]) -> str:
    """An invitation's seal: every column but its envelope, key and the visit that used
    it (which the database sets to NULL when that visit goes)."""
    site: uuid.UUID = row["site_id"]
    host: uuid.UUID | None = row["host_id"]
    day: date = row["expected_day"]
    return SEP.join(
        [
            site.hex,
            bytes(row["code_hash"]).hex(),
            day.isoformat(),
            _time(row["created_at"]),
            row["visitor_type"],
            host.hex if host is not None else "",
        ]
    )


def columns_of(row: Any) -> dict[str, Any]:
    """An ORM row's column values, as the seal functions take them."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


AD_PREFIX = field_ad("visits", "personal", uuid.UUID(int=0), uuid.UUID(int=0))[:-32]
AD_MARK = _AD_MARK
