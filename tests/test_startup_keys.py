"""Start-up refuses a wrong, missing or exposed master key, and writes nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from storage.crypto import MasterKey, read_key_file, write_key_file
from storage.engine import make_engine
from storage.errors import KeyFileError, WrongMasterKey
from storage.keystore import KeyStore
from storage.keystore_models import KeyMeta
from storage.migrate import HEADS, alembic_config
from storage.open import StoreConfig, open_repositories, pending_key_path, rotate_master_key
from tests.helpers.factories import visitor
from tests.helpers.store import check_in


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _first_run(cfg: StoreConfig) -> None:
    store = open_repositories(cfg)
    check_in(store, visitor(1), actor="test")
    store.db.engine.dispose()
    store.db.keystore.engine.dispose()


def _meta_rows(cfg: StoreConfig) -> int:
    engine = make_engine(cfg.keystore_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(KeyMeta)) or 0)
    finally:
        engine.dispose()


def test_first_run_creates_private_key_file(store_config: StoreConfig) -> None:
    _first_run(store_config)
    assert store_config.key_file.stat().st_mode & 0o777 == 0o600
    assert len(store_config.key_file.read_bytes()) == 32


def test_wrong_master_key_stops_start_and_writes_nothing(store_config: StoreConfig) -> None:
    _first_run(store_config)
    store_config.key_file.write_bytes(os.urandom(32))
    before = _snapshot(store_config.key_file.parent)
    with pytest.raises(WrongMasterKey, match="does not open the key store"):
        open_repositories(store_config)
    assert _snapshot(store_config.key_file.parent) == before
    assert _meta_rows(store_config) == 1


def test_missing_key_file_beside_database_stops_start(store_config: StoreConfig) -> None:
    _first_run(store_config)
    store_config.key_file.unlink()
    before = _snapshot(store_config.key_file.parent)
    with pytest.raises(KeyFileError, match="missing but the database already holds records"):
        open_repositories(store_config)
    assert not store_config.key_file.exists()
    assert _snapshot(store_config.key_file.parent) == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_file_readable_by_others_stops_start(store_config: StoreConfig, mode: int) -> None:
    _first_run(store_config)
    store_config.key_file.chmod(mode)
    before = _snapshot(store_config.key_file.parent)
    with pytest.raises(KeyFileError, match=r"readable by group or others.*chmod 600"):
        open_repositories(store_config)
    assert _snapshot(store_config.key_file.parent) == before


def test_truncated_key_file_is_refused(store_config: StoreConfig) -> None:
    _first_run(store_config)
    store_config.key_file.write_bytes(b"short")
    with pytest.raises(KeyFileError, match="not a 32-byte key"):
        open_repositories(store_config)


def test_rotation_rewraps_keys_and_keeps_search_working(store_config: StoreConfig) -> None:
    _first_run(store_config)
    old_key = store_config.key_file.read_bytes()
    assert rotate_master_key(store_config) == 3
    assert store_config.key_file.read_bytes() != old_key
    store = open_repositories(store_config)
    try:
        found = store.visits.find_person(email=visitor(1).email)
        assert [v.name for v in found] == [visitor(1).name]
    finally:
        store.db.engine.dispose()
        store.db.keystore.engine.dispose()
    store_config.key_file.write_bytes(old_key)
    with pytest.raises(WrongMasterKey):
        open_repositories(store_config)


def test_rotation_interrupted_before_the_key_file_swap_finishes_at_start(
    store_config: StoreConfig,
) -> None:
    _first_run(store_config)
    new = MasterKey(os.urandom(32))
    engine = make_engine(store_config.keystore_url)
    KeyStore(engine, read_key_file(store_config.key_file)).rewrap_all(new)
    engine.dispose()
    write_key_file(pending_key_path(store_config.key_file), new)
    store = open_repositories(store_config)  # the old key fails, the pending one opens: swap
    try:
        assert store_config.key_file.read_bytes() == new.material
        assert not pending_key_path(store_config.key_file).exists()
        assert store.visits.find_person(email=visitor(1).email)[0].name == visitor(1).name
    finally:
        store.db.engine.dispose()
        store.db.keystore.engine.dispose()


def test_known_heads_match_the_migration_scripts() -> None:
    for schema, head in HEADS.items():
        assert ScriptDirectory.from_config(alembic_config(schema)).get_current_head() == head
