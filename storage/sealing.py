"""The seal of a row: every column outside its encrypted envelope, bound to it.

A visit's columns come in two kinds.

- **What lists show** (day, arrival, departure, host, and the flags: NDA, confirmation,
  screening flag, restriction, automatic check-out, visitor type) go into the
  envelope's associated data: the AES-GCM tag the envelope carries anyway covers them,
  and every read that opens the envelope checks them, at almost no cost. The text is
  built in SQL inside the one text column storage.fastread selects (fixed width, so the
  reader slices its fields out of it) and in Python when a row is written; both must
  agree byte for byte (a test holds them to it).
- **The rest** (site, creation time, blind indexes, badge hash, privacy notice, age)
  are sealed by ``seal_mac``, an HMAC keyed from the master key over the row's id, key
  and those columns. A day's list does not read them (reading them would cost a
  quarter of its time); every read that uses them checks the MAC: a visit opened by id,
  a check-out by badge, any change to a visit.

So a direct ``UPDATE visits SET departed_at = ...`` (or any other column) in the
database is detected by the next read that uses the column, which names the record,
and the record is never sealed anew by the kiosk.

NDA acceptances and invitations are few and read one by one: all their columns but
the ciphertext, key and the visit they point to (which the database sets to NULL when
the visit goes) are in their ciphertext's associated data.
"""

from __future__ import annotations

import functools
import hmac
import json
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
from storage.crypto import field_ad, hmac_sha256

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
NONE = "-" * 32  # a departure or host not there, at the width of one that is
UNKNOWN_TYPE = "x"  # the flags of a row whose visitor type is none of ours
SEP = "\x1f"
# Where the seal text starts in the associated data (after table, column, row, key).
AD_MARK = b"\x1e"


def _pg_hex(column: str) -> str:
    return f"replace(CAST(visits.{column} AS TEXT), '-', '')"


def _pg_time(column: str) -> str:
    return f"to_char(visits.{column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00'"


@functools.cache
def head_sql(dialect: str) -> str:
    """The fast read's one text column: the visit's id and key (32 hex digits each),
    then its listed fields at fixed width (storage.fastread slices them out): the day,
    the arrival and departure (ISO text in UTC with microseconds and "+00:00"; NONE when
    not departed), the host's id (NONE when none) and the flags' number. After
    VISIT_AD, it is the envelope's associated data."""
    none = f"'{NONE}'"
    if dialect == "sqlite":
        return (
            "visits.id || visits.key_id || visits.local_day || visits.arrived_at || '+00:00'"
            f" || coalesce(visits.departed_at || '+00:00', {none})"
            f" || coalesce(visits.host_id, {none})"
            f" || coalesce({FLAGS_SQL}, '{UNKNOWN_TYPE}')"
        )
    return (
        f"{_pg_hex('id')} || {_pg_hex('key_id')} || to_char(visits.local_day, 'YYYY-MM-DD')"
        f" || {_pg_time('arrived_at')}"
        f" || coalesce({_pg_time('departed_at')}, {none})"
        f" || coalesce({_pg_hex('host_id')}, {none})"
        f" || coalesce(CAST({FLAGS_SQL} AS TEXT), '{UNKNOWN_TYPE}')"
    )


def head_column(dialect: str) -> ColumnElement[Any]:
    return literal_column(head_sql(dialect))


def _time(moment: datetime | None) -> str:
    """ISO text in UTC with microseconds and "+00:00" (what an aware UTC datetime's
    isoformat gives: on every check-in, so no detour)."""
    if moment is None:
        return ""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")


def flags_of(row: Mapping[str, Any]) -> int | None:
    index = _TYPE_INDEX.get(row["visitor_type"])
    if index is None:
        return None
    bits = sum(bit for column, bit in FLAG_COLUMNS if row[column])
    return bits + (index << TYPE_SHIFT)


def listed_text(row: Mapping[str, Any]) -> str:
    """The listed fields of a visit row given as its column values: what
    :func:`head_sql` computes from the stored row, from the day on."""
    flags = flags_of(row)
    host: uuid.UUID | None = row["host_id"]
    departed = row["departed_at"]
    return (
        f"{row['local_day'].isoformat()}{_time(row['arrived_at'])}"
        f"{NONE if departed is None else _time(departed)}"
        f"{NONE if host is None else host.hex}{UNKNOWN_TYPE if flags is None else flags}"
    )


VISIT_AD = b"visits\x1fpersonal\x1e"
"""What a visit envelope's associated data starts with; then, as text, the fast read's
column: both ids in hex and the listed fields (one encode of the text the reader has)."""


def visit_ad(visit_id: uuid.UUID, key_id: uuid.UUID, listed: str) -> bytes:
    """The associated data of a visit's envelope: table, column, row, key and the
    listed fields' text."""
    return VISIT_AD + (visit_id.hex + key_id.hex + listed).encode()


SEAL_MAC_COLUMNS = (
    "site_id",
    "created_at",
    "email_bidx",
    "phone_bidx",
    "badge_hash",
    "privacy_version",
    "privacy_sha256",
    "under_16",
)


def seal_mac(key: bytes, row: Mapping[str, Any]) -> bytes:
    """The MAC over a visit's columns that lists do not show (SEAL_MAC_COLUMNS), bound
    to its id and data key. (One f-string: it is on every check-in.)"""
    email, phone = row["email_bidx"], row["phone_bidx"]
    text = (
        f"{row['site_id'].hex}{SEP}{_time(row['created_at'])}"
        f"{SEP}{'' if email is None else email}{SEP}{'' if phone is None else phone}"
        f"{SEP}{bytes(row['badge_hash']).hex()}{SEP}{row['privacy_version']}"
        f"{SEP}{row['privacy_sha256']}{SEP}{'1' if row['under_16'] else '0'}"
    )
    ids = row["id"].bytes + row["key_id"].bytes
    return hmac_sha256(key, b"kiosk-visit-seal\x1f" + ids + text.encode())


def seal_mac_holds(key: bytes, row: Mapping[str, Any]) -> bool:
    stored = row["seal_mac"]
    return stored is not None and hmac.compare_digest(seal_mac(key, row), bytes(stored))


def sealed_ad(table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID, sealed: str) -> bytes:
    """The associated data of a sealed ciphertext: table, column, row, key and the seal
    text of the row's other columns."""
    return field_ad(table, column, row_id, key_id) + AD_MARK + sealed.encode()


def nda_seal(row: Mapping[str, Any]) -> str:
    """An NDA acceptance's seal: every column but its ciphertexts, key and visit (the
    database sets the visit to NULL when the visit is purged, years before the NDA). The
    blind indexes of the signer's contact are in it when the row has them (from
    migration 0014): moved onto another person's index, the acceptance no longer opens."""
    site: uuid.UUID = row["site_id"]
    parts = [
        site.hex,
        _time(row["created_at"]),
        row["document_version"],
        row["document_language"],
        row["document_sha256"],
    ]
    email, phone = row.get("email_bidx"), row.get("phone_bidx")
    if email is not None or phone is not None:
        parts += [
            "contact",
            "" if email is None else str(email),
            "" if phone is None else str(phone),
        ]
    return SEP.join(parts)


def nda_contact(email: str | None, phone: str | None) -> str:
    """What an NDA acceptance keeps of its signer's contact (sealed in ``contact_ct``):
    a rights request's candidate is confirmed against it."""
    return json.dumps({"email": email, "phone": phone}, ensure_ascii=False)


def request_seal(row: Mapping[str, Any]) -> str:
    """A rights request's seal: every column but its envelope and key (a request moved to
    another person's index, reopened or given another due date no longer opens)."""
    site: uuid.UUID = row["site_id"]
    received: date = row["received_on"]
    due: date = row["due_on"]
    email, phone = row["email_bidx"], row["phone_bidx"]
    return SEP.join(
        [
            site.hex,
            _time(row["created_at"]),
            row["kind"],
            row["channel"],
            received.isoformat(),
            due.isoformat(),
            str(row["extended_months"]),
            row["status"],
            _time(row["closed_at"]),
            "" if email is None else str(email),
            "" if phone is None else str(phone),
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
