"""The key store: per-site, per-category, per-day data keys wrapped by the master key."""

from __future__ import annotations

import secrets
import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from kiosk.domain.retention import Category
from storage.crypto import KEY_BYTES, NONCE_BYTES, InvalidTag, MasterKey
from storage.engine import db_errors
from storage.errors import KeyDestroyed, WrongMasterKey
from storage.keystore_models import DataKey, KeyMeta

INDEX_SECRET = "index_secret"  # noqa: S105 - a row name, not a secret


def _dek_ad(key_id: uuid.UUID, site_id: uuid.UUID, category: str, day: date) -> bytes:
    return b"kiosk-dek\x1f" + key_id.bytes + site_id.bytes + f"{category}|{day}".encode()


def _meta_ad(name: str) -> bytes:
    return b"kiosk-meta\x1f" + name.encode()


def _wrap(kek: MasterKey, key: bytes, ad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + kek.aead().encrypt(nonce, key, ad)


def _unwrap(kek: MasterKey, blob: bytes, ad: bytes) -> bytes:
    return kek.aead().decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad)


class KeyStore:
    """Creates, unwraps, caches, rotates and destroys data keys.

    Thread-safe; the cache holds unwrapped keys for the life of the process and is
    emptied of destroyed keys by :meth:`destroy_before`.
    """

    def __init__(self, engine: Engine, kek: MasterKey) -> None:
        self.engine = engine
        self._kek = kek
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(engine.execution_options(readonly=True))
        self._lock = threading.Lock()
        self._by_day: dict[tuple[uuid.UUID, str, date], uuid.UUID] = {}
        self._by_id: dict[uuid.UUID, AESGCM] = {}
        self._index_secret: bytes | None = None

    # -- the index secret, and the master-key check -----------------------------------

    def index_secret(self) -> bytes:
        """The secret blind-index, audit and pepper keys derive from; created on first use
        (concurrent creators end with one). Unwrapping it checks the master key."""
        if self._index_secret is None:
            self.verify_master_key()
        if self._index_secret is None:
            candidate = _wrap(self._kek, secrets.token_bytes(KEY_BYTES), _meta_ad(INDEX_SECRET))
            with db_errors(), self._sessions() as s, s.begin():
                s.execute(
                    self._insert()(KeyMeta)
                    .values(name=INDEX_SECRET, wrapped=candidate, kek_version=1)
                    .on_conflict_do_nothing()
                )
            self.verify_master_key()
        assert self._index_secret is not None
        return self._index_secret

    def _insert(self) -> Any:
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    def verify_master_key(self) -> None:
        """Raise :class:`WrongMasterKey` unless the key store is empty or opens with the KEK."""
        with db_errors(), self._reader() as s:
            row = s.get(KeyMeta, INDEX_SECRET)
            if row is None:
                return
            try:
                self._index_secret = _unwrap(self._kek, row.wrapped, _meta_ad(INDEX_SECRET))
            except InvalidTag:
                raise WrongMasterKey(
                    "the master key does not open the key store (wrong key file?)"
                ) from None

    # -- data keys ---------------------------------------------------------------------

    def key_for_day(
        self, site_id: uuid.UUID, category: Category, day: date
    ) -> tuple[uuid.UUID, AESGCM]:
        """The data key for writing; created if absent. Concurrent creators end with one."""
        cache_key = (site_id, category.value, day)
        with self._lock:
            key_id = self._by_day.get(cache_key)
            if key_id is not None:
                return key_id, self._by_id[key_id]
        key_id = uuid.uuid4()
        material = secrets.token_bytes(KEY_BYTES)
        values = {
            "id": key_id,
            "site_id": site_id,
            "category": category.value,
            "day": day,
            "wrapped": _wrap(self._kek, material, _dek_ad(key_id, site_id, category, day)),
            "kek_version": 1,
            "created_at": datetime.now(UTC),
        }
        stmt = self._insert()(DataKey).values(**values).on_conflict_do_nothing()
        with db_errors(), self._sessions() as s, s.begin():
            s.execute(stmt)
            row = s.scalars(
                select(DataKey).where(
                    DataKey.site_id == site_id,
                    DataKey.category == category.value,
                    DataKey.day == day,
                )
            ).one()
            aead = self._unwrap_row(row)
        with self._lock:
            self._by_day[cache_key] = row.id
            self._by_id[row.id] = aead
        return row.id, aead

    def key_by_id(self, key_id: uuid.UUID) -> AESGCM:
        """The data key for reading. Raises :class:`KeyDestroyed` when retention shredded it."""
        with self._lock:
            aead = self._by_id.get(key_id)
        if aead is not None:
            return aead
        with db_errors(), self._reader() as s:
            row = s.get(DataKey, key_id)
            if row is None:
                raise KeyDestroyed(key_id)
            aead = self._unwrap_row(row)
        with self._lock:
            self._by_id[key_id] = aead
        return aead

    def _unwrap_row(self, row: DataKey) -> AESGCM:
        try:
            material = _unwrap(
                self._kek,
                row.wrapped,
                _dek_ad(row.id, row.site_id, row.category, row.day),
            )
        except InvalidTag:
            raise WrongMasterKey(
                f"data key {row.id} does not open with the master key (wrong key or tampered)"
            ) from None
        return AESGCM(material)

    # -- retention and rotation --------------------------------------------------------

    def count_before(self, category: Category, day: date) -> int:
        with db_errors(), self._reader() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(DataKey)
                    .where(DataKey.category == category.value, DataKey.day < day)
                )
                or 0
            )

    def destroy_before(self, category: Category, day: date) -> int:
        """Crypto-shred: delete every data key of ``category`` for days before ``day``."""
        with db_errors(), self._sessions() as s, s.begin():
            ids = list(
                s.scalars(
                    select(DataKey.id).where(DataKey.category == category.value, DataKey.day < day)
                )
            )
            if ids:
                s.execute(delete(DataKey).where(DataKey.id.in_(ids)))
        with self._lock:
            for key_id in ids:
                self._by_id.pop(key_id, None)
            for k in [k for k, v in self._by_day.items() if v in ids]:
                del self._by_day[k]
        return len(ids)

    def rewrap_all(self, new_kek: MasterKey) -> int:
        """Re-wrap every data key and secret under ``new_kek`` in one transaction."""
        count = 0
        with db_errors(), self._sessions() as s, s.begin():
            for row in s.scalars(select(DataKey)).all():
                material = _unwrap(
                    self._kek, row.wrapped, _dek_ad(row.id, row.site_id, row.category, row.day)
                )
                s.execute(
                    update(DataKey)
                    .where(DataKey.id == row.id)
                    .values(
                        wrapped=_wrap(
                            new_kek,
                            material,
                            _dek_ad(row.id, row.site_id, row.category, row.day),
                        ),
                        kek_version=row.kek_version + 1,
                    )
                )
                count += 1
            for meta in s.scalars(select(KeyMeta)).all():
                secret = _unwrap(self._kek, meta.wrapped, _meta_ad(meta.name))
                meta.wrapped = _wrap(new_kek, secret, _meta_ad(meta.name))
                meta.kek_version += 1
        self._kek = new_kek
        return count
