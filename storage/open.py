"""Opening the storage: the start-up checks on the master key, then migrations.

Every check runs before anything is written: a wrong or missing key, or a key file others
can read, stops start-up with a clear message and leaves the disk as it was.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from kiosk.domain.retention import RetentionPolicy
from storage.crypto import MasterKey, create_key_file, read_key_file, write_key_file
from storage.database import Database
from storage.engine import database_exists, make_engine, sqlite_path
from storage.errors import DatabaseUnavailable, DataDirError, KeyFileError, WrongMasterKey
from storage.keystore import KeyStore
from storage.migrate import upgrade
from storage.repositories import Repositories
from storage.repositories.sites import SiteRepository
from storage.reseal import seal_earlier_rows
from storage.sites import ResolvedSite, add_site, identity_file, resolve_site

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    database_url: str
    keystore_url: str
    key_file: Path
    site_name: str
    timezone: str = "UTC"
    site_id: str = ""
    """The site's stable identifier (storage.sites); empty: the one this installation
    recorded at its first start, beside the key file."""
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    blind_index_bits: int = 16
    checkpoint_path: Path | None = None
    """The signed audit checkpoint; default beside the key file."""
    witness: str = ""
    """Where each new audit head is also written (storage.witness); empty: nowhere."""
    audit_lane: str = ""
    """The audit chain's lane this kiosk appends to (storage.audit); empty: lane ""."""

    @property
    def resolved_checkpoint(self) -> Path:
        return self.checkpoint_path or self.key_file.with_name("audit-checkpoint.json")


def one_line(error: BaseException | None) -> str:
    """A driver's message in one line ("connection refused\n\tIs the server running...")."""
    return " ".join(str(error).split())[:200]


def _nearest_existing(path: Path) -> Path:
    """The deepest existing part of ``path``; :class:`DataDirError` for a folder on the
    way that this user cannot enter."""
    path = path.absolute()
    current = Path(path.anchor)
    for part in path.relative_to(path.anchor).parts:
        if current.is_dir() and not os.access(current, os.X_OK):
            raise DataDirError(f"permission denied: {current} cannot be entered by {_who()}")
        if not (current / part).exists():
            break
        current = current / part
    return current


def _who() -> str:
    try:
        import pwd

        return f"user {pwd.getpwuid(os.geteuid()).pw_name} (uid {os.geteuid()})"
    except (ImportError, KeyError):
        return "this user"


def check_paths(cfg: StoreConfig) -> None:
    """Before anything is opened: :class:`DataDirError`, in one line, when this user
    cannot make or write the folders and files of the key and the SQLite databases."""
    files = [cfg.key_file, cfg.resolved_checkpoint]
    files += [p for p in (sqlite_path(cfg.database_url), sqlite_path(cfg.keystore_url)) if p]
    for file in files:
        folder = _nearest_existing(file)
        if folder == file.absolute():
            folder = folder.parent
        if not folder.is_dir():
            raise DataDirError(f"cannot use {file.parent}: {folder} is not a folder")
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            raise DataDirError(
                f"permission denied: {file} cannot be read and written by {_who()}; "
                "give that user the data folder (chown), or set data_dir"
            )
        if not file.exists() and not os.access(folder, os.W_OK | os.X_OK):
            raise DataDirError(
                f"permission denied: {folder} is not writable by {_who()}; "
                "give that user the data folder (chown), or set data_dir"
            )


def pending_key_path(key_file: Path) -> Path:
    """Where a rotation writes the new master key before it takes over."""
    return key_file.with_name(key_file.name + ".new")


def _engines(cfg: StoreConfig) -> tuple[Engine, Engine]:
    records = make_engine(cfg.database_url)
    keystore = records if cfg.keystore_url == cfg.database_url else make_engine(cfg.keystore_url)
    return records, keystore


def _load_master_key(cfg: StoreConfig, records: Engine, keystore: Engine) -> MasterKey | None:
    """The key file's key, checked against an existing key store; None on a first run."""
    try:
        has_records = database_exists(records)
        has_keystore = database_exists(keystore)
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the database: {one_line(exc.orig)}") from None
    if not cfg.key_file.exists():
        if has_records or has_keystore:
            raise KeyFileError(
                f"key file {cfg.key_file} is missing but the database already holds records; "
                "restore the key file from its backup (without it nothing can be read)"
            )
        return None
    kek = read_key_file(cfg.key_file)
    if has_records and not has_keystore:
        raise KeyFileError(
            "the database holds records but the key store is missing; "
            "restore the key store from its backup"
        )
    if has_keystore:
        try:
            KeyStore(keystore, kek).verify_master_key()
        except WrongMasterKey:
            kek = _finish_interrupted_rotation(cfg, keystore)
    return kek


def _finish_interrupted_rotation(cfg: StoreConfig, keystore: Engine) -> MasterKey:
    """A rotation that re-wrapped the keys but died before the new key file took over."""
    pending = pending_key_path(cfg.key_file)
    if pending.exists():
        new = read_key_file(pending)
        KeyStore(keystore, new).verify_master_key()
        os.replace(pending, cfg.key_file)
        log.warning("completed an interrupted master key rotation")
        return new
    raise WrongMasterKey(
        f"the master key in {cfg.key_file} does not open the key store: "
        "wrong key file, or the key store belongs to another installation"
    )


def open_repositories(
    cfg: StoreConfig, *, migrate: bool = True, new_site: bool = False
) -> Repositories:
    """:func:`open_database`, with its repositories."""
    return Repositories.over(open_database(cfg, migrate=migrate, new_site=new_site))


def open_database(cfg: StoreConfig, *, migrate: bool = True, new_site: bool = False) -> Database:
    """Check the key, migrate both databases, and return the database open for the site
    (storage.sites); ``new_site``: add the site ``cfg`` names, refused if it exists."""
    tz = ZoneInfo(cfg.timezone)
    check_paths(cfg)
    records, keystore_engine = _engines(cfg)
    try:
        return _open(cfg, tz, records, keystore_engine, migrate, new_site)
    except BaseException:
        # Close every connection, so SQLite leaves no -wal or -shm file behind.
        records.dispose()
        keystore_engine.dispose()
        raise


def _open(
    cfg: StoreConfig,
    tz: ZoneInfo,
    records: Engine,
    keystore_engine: Engine,
    migrate: bool,
    new_site: bool,
) -> Database:
    kek = _load_master_key(cfg, records, keystore_engine)
    if kek is None:
        kek = create_key_file(cfg.key_file)
        log.info("created a new master key file")
    for engine in (records, keystore_engine):
        _create_private(sqlite_path(str(engine.url)))
    try:
        if migrate:
            upgrade(keystore_engine, "keystore")
            upgrade(records, "records")
        if new_site:
            added = add_site(records, cfg.site_name, cfg.site_id)
            site = ResolvedSite(added.id, added.slug, None)
        else:
            site = resolve_site(
                records, name=cfg.site_name, slug=cfg.site_id, identity=identity_file(cfg.key_file)
            )
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot use the database: {one_line(exc.orig)}") from None
    keystore = KeyStore(keystore_engine, kek)
    db = Database(
        records,
        keystore,
        site_id=site.id,
        timezone=tz,
        retention=cfg.retention,
        blind_index_bits=cfg.blind_index_bits,
        checkpoint_path=cfg.resolved_checkpoint,
        witness=cfg.witness,
        audit_lane=cfg.audit_lane,
    )
    if new_site:
        SiteRepository(db).audit_added(site.id)
    if site.renamed_from is not None:
        SiteRepository(db).rename(site.id, cfg.site_name)
        log.info("site %s renamed from %r to %r", site.slug, site.renamed_from, cfg.site_name)
    sealed = seal_earlier_rows(db) if migrate else {}
    if any(sealed.values()):
        log.info("sealed rows written before their columns were sealed: %s", sealed)
    return db


def _create_private(path: Path | None) -> None:
    """Create a SQLite file readable by its owner only (its WAL inherits the mode)."""
    if path is None or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def rotate_master_key(cfg: StoreConfig) -> int:
    """Re-wrap every data key under a new master key; rows are not re-encrypted.

    The new key is written beside the old one first; the key store is re-wrapped in one
    transaction; then the new key file replaces the old. A crash between the two last
    steps is finished at the next start.
    """
    records, keystore_engine = _engines(cfg)
    kek = _load_master_key(cfg, records, keystore_engine)
    if kek is None:
        raise KeyFileError(f"key file {cfg.key_file} does not exist; nothing to rotate")
    new = MasterKey(os.urandom(32))
    pending = pending_key_path(cfg.key_file)
    write_key_file(pending, new)
    count = KeyStore(keystore_engine, kek).rewrap_all(new)
    os.replace(pending, cfg.key_file)
    return count
