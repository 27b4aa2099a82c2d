"""Reading many visits quickly: a few text columns, decoded by hand.

A day in the console and a range in an export read thousands to millions of rows. Going
through SQLAlchemy's typed result processing costs more per row than the decryption
itself (UUID and timestamp conversion, Row objects), and so does each extra column the
driver hands over. So these reads select five untyped columns, written per dialect so
that SQLite and PostgreSQL return the same text (hex ids, ISO times), and decode them in
one loop. The decryption and its associated data are those of storage.codec, and so is
the decoder of the envelope (``decode_personal``).
"""

from __future__ import annotations

import functools
import gc
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import literal_column

from kiosk.domain.visits import (
    DamagedRecord,
    ScreeningOutcome,
    VisitFields,
    VisitRecord,
)
from storage.codec import decode_personal
from storage.crypto import NONCE_BYTES, InvalidTag
from storage.errors import KeyDestroyed, RecordTampered
from storage.ids import UNKNOWN_SAFETY, new_object, set_attribute, uuid_from_int
from storage.sealing import NONE, TYPE_LIST, TYPE_SHIFT, VISIT_AD, head_column

# What a visit read selects, as few columns as possible: each column the driver hands
# over costs about as much as decoding it. Both dialects return the same text, so one
# loop decodes either.
#
# HEAD (storage.sealing.head_sql): id (32 hex digits) [:32], data key id (32) [32:64],
#   then, fixed width, the local day (ISO) [64:74], the arrival [74:106] and departure
#   [106:138] (ISO text with UTC offset; dashes when not departed), the host's id
#   [138:170] (dashes when none) and the flags' number [170:]: the FLAG_* bits plus the
#   visitor type's index in VisitorType << TYPE_SHIFT ("x" for a type not ours). One
#   text column: SQLite hands over one long string for less than several short ones,
#   slicing it is cheap, and it is the envelope's associated data (after VISIT_AD).
# PERSONAL: the envelope.
_FLAG_BITS = (1 << TYPE_SHIFT) - 1  # the FLAG_* bits below the type


@functools.cache
def visit_columns(dialect: str) -> tuple[Any, ...]:
    """The select list for :class:`VisitDecoder`, written for ``dialect``'s storage: on
    SQLite ids are already hex and times naive-UTC ISO text; PostgreSQL formats its
    native values the same way."""
    return (head_column(dialect), literal_column("visits.personal_ct"))


_OUTCOMES = {o.value: o for o in ScreeningOutcome}
_OUTCOMES[""] = ScreeningOutcome.NOT_ASKED


def uuid_from_hex(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` for 32 hex digits, at half the cost (the checks UUID() makes
    are for text of unknown shape)."""
    return uuid_from_int(int(text, 16))


class VisitDecoder:
    """Turns raw rows (selected with :func:`visit_columns`) into VisitRecords or
    DamagedRecords."""

    def __init__(self, key_by_id: Callable[[uuid.UUID], AESGCM], *, strict: bool = False) -> None:
        self.strict = strict  # raise KeyDestroyed / RecordTampered instead of reporting
        self._key_by_id = key_by_id
        # Key id as hex -> (its bytes, the key) or the error.
        self._keys: dict[str, tuple[bytes, AESGCM] | KeyDestroyed] = {}

    def _key(self, key_hex: str) -> tuple[bytes, AESGCM] | KeyDestroyed:
        found = self._keys.get(key_hex)
        if found is None:
            key_id = uuid_from_hex(key_hex)
            try:
                found = (key_id.bytes, self._key_by_id(key_id))
            except KeyDestroyed as exc:
                found = exc
            self._keys[key_hex] = found
        return found

    def decode(self, rows: Iterable[Any]) -> Iterator[VisitRecord | DamagedRecord]:
        visits, damaged = self.decode_batch(rows)
        yield from visits
        yield from damaged

    def decode_batch(self, rows: Iterable[Any]) -> tuple[list[VisitRecord], list[DamagedRecord]]:
        """Decode a batch of rows (thousands: a day, a part of an export) into records."""
        with gc_paused():
            return self._decode(rows, False)

    def decode_fields_batch(
        self, rows: Iterable[Any]
    ) -> tuple[list[VisitFields], list[DamagedRecord]]:
        """Like :meth:`decode_batch`, as plain tuples without the visit's id: an export of
        a million rows needs neither, and building them is a tenth of its time."""
        with gc_paused():
            return self._decode(rows, True)

    def _damaged(self, head: str, error: KeyDestroyed | RecordTampered) -> DamagedRecord:
        if self.strict:
            raise error from None  # not chained to the InvalidTag behind it
        try:  # as stored, unchecked: for lists that must count the record anyway
            day: date | None = date.fromisoformat(head[64:74])
            arrived: datetime | None = datetime.fromisoformat(head[74:106])
            departed = head[106:138]
            left = None if departed == NONE else datetime.fromisoformat(departed)
        except ValueError:
            day = arrived = left = None
        cause = "no_key" if isinstance(error, KeyDestroyed) else "tampered"
        return DamagedRecord(
            "visits", uuid_from_hex(head[:32]), str(error), cause, day, arrived, left
        )

    def _decode(self, rows: Iterable[Any], fields_only: bool) -> tuple[list[Any], list[Any]]:
        decoded: list[Any] = []
        damaged: list[DamagedRecord] = []
        add = decoded.append
        fromiso, days = datetime.fromisoformat, dict[str, date]()
        host_ids: dict[str, uuid.UUID] = {}
        prefix = VISIT_AD
        keys, key_of = self._keys, self._key
        new, set_attr, uuid_cls, safe = new_object, set_attribute, uuid.UUID, UNKNOWN_SAFETY
        type_list, outcomes, record = TYPE_LIST, _OUTCOMES, VisitRecord
        shift, flag_bits = TYPE_SHIFT, _FLAG_BITS
        decode = decode_personal
        none = NONE
        for head, blob in rows:
            key = keys.get(head[32:64]) or key_of(head[32:64])
            if isinstance(key, KeyDestroyed):
                damaged.append(self._damaged(head, key))
                continue
            id_int = int(head[:32], 16)
            column = "record"
            try:
                name, email, phone, company, host_name, screening = decode(
                    key[1].decrypt(
                        blob[:NONCE_BYTES],
                        blob[NONCE_BYTES:],
                        prefix + head.encode(),
                    )
                )
                column = "visitor_type"
                flags = int(head[170:])  # "x" (a type not ours) raises ValueError
                visitor_type = type_list[flags >> shift]
            except (InvalidTag, ValueError, UnicodeDecodeError, TypeError, IndexError):
                tampered = RecordTampered("visits", uuid_from_hex(head[:32]), column)
                damaged.append(self._damaged(head, tampered))
                continue
            host = head[138:170]
            if host != none:  # a few hundred hosts share a day: one UUID object each
                host_id = host_ids.get(host)
                if host_id is None:
                    host_id = host_ids[host] = uuid_from_hex(host)
            else:
                host_id = None
            departed = head[106:138]
            if fields_only:
                add(
                    (
                        fromiso(head[74:106]),
                        None if departed == none else fromiso(departed),
                        visitor_type,
                        name,
                        email,
                        phone,
                        company,
                        host_id,
                        host_name,
                        flags & flag_bits,
                        outcomes[screening],
                    )
                )
                continue
            visit_id = new(uuid_cls)
            set_attr(visit_id, "int", id_int)
            set_attr(visit_id, "is_safe", safe)
            day_text = head[64:74]
            day = days.get(day_text)
            if day is None:
                day = days[day_text] = date.fromisoformat(day_text)
            add(
                record(
                    visit_id,
                    fromiso(head[74:106]),
                    None if departed == none else fromiso(departed),
                    day,
                    visitor_type,
                    name,
                    email or None,
                    phone or None,
                    company or None,
                    host_id,
                    host_name or None,
                    flags & 1 == 1,  # FLAG_NDA (literals: this is the hot loop)
                    outcomes[screening],
                    flags & 2 == 2,  # FLAG_NEEDS_CONFIRMATION
                    flags & 4 == 4,  # FLAG_FLAGGED
                    flags & 8 == 8,  # FLAG_RESTRICTED
                    flags & 16 == 16,  # FLAG_AUTO_CHECKOUT
                )
            )
        return decoded, damaged


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector paused: a day's rows and records are thousands of new
    objects holding no cycles, and the collector's passes over them as they pile up
    otherwise cost a tenth of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
