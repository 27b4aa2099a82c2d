"""Turning visit rows into ciphertexts and back."""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto import InvalidTag, field_ad, open_field, seal_field
from storage.errors import RecordTampered

VISIT_FIELDS = ("name", "email", "phone", "company", "host_name")


def seal(
    aead: AESGCM, table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID, value: str | None
) -> bytes | None:
    if value is None:
        return None
    return seal_field(aead, value, field_ad(table, column, row_id, key_id))


def unseal(
    aead: AESGCM,
    table: str,
    column: str,
    row_id: uuid.UUID,
    key_id: uuid.UUID,
    blob: bytes | None,
) -> str | None:
    if blob is None:
        return None
    try:
        return open_field(aead, bytes(blob), field_ad(table, column, row_id, key_id))
    except (InvalidTag, ValueError, UnicodeDecodeError):
        raise RecordTampered(table, row_id, column) from None


def seal_visit(
    aead: AESGCM, row_id: uuid.UUID, key_id: uuid.UUID, values: dict[str, str | None]
) -> dict[str, Any]:
    """Column values ``<field>_ct`` for the personal fields of one visit."""
    return {
        f"{name}_ct": seal(aead, "visits", name, row_id, key_id, values.get(name))
        for name in VISIT_FIELDS
    }
