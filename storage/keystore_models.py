"""The key store: data keys wrapped by the master key, kept apart from the records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import IsoDate, UTCDateTime


class KeyBase(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        uuid.UUID: Uuid,
        date: IsoDate,
        bytes: LargeBinary,
    }


class DataKey(KeyBase):
    """One data key per site, category and (UTC) day, wrapped by the master key."""

    __tablename__ = "kiosk_data_keys"
    __table_args__ = (UniqueConstraint("site_id", "category", "day", name="uq_data_key_day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column()
    wrapped: Mapped[bytes]
    kek_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class KeyMeta(KeyBase):
    """Named secrets wrapped by the master key (the index secret, from which blind-index,
    audit and PIN-pepper keys are derived, so that they survive a master key rotation)."""

    __tablename__ = "kiosk_key_meta"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    wrapped: Mapped[bytes]
    kek_version: Mapped[int] = mapped_column(Integer)
