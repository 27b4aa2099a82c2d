"""Turning Settings into an open Store: the one place the kiosk layer wires storage up."""

from __future__ import annotations

import logging

from kiosk.config import RetentionSettings, Settings
from storage.open import StoreConfig, open_store, rotate_master_key
from storage.records import RetentionPolicy
from storage.store import Store

log = logging.getLogger(__name__)


def retention_policy(r: RetentionSettings) -> RetentionPolicy:
    return RetentionPolicy(
        visit_days=r.visit_days,
        health_answers_days=r.health_answers_days,
        nda_days=r.nda_days,
        outbox_days=r.outbox_days,
        audit_days=r.audit_days,
    )


def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(
        database_url=settings.resolved_database_url,
        keystore_url=settings.resolved_keystore_url,
        key_file=settings.resolved_key_file,
        site_name=settings.site_name,
        timezone=settings.timezone,
        retention=retention_policy(settings.retention),
        blind_index_bits=settings.blind_index_bits,
    )


def open_from_settings(settings: Settings, *, migrate: bool = True) -> Store:
    """The store, purging by the retention periods in force: those an admin set in the
    database, else the settings'."""
    from kiosk.services.retention import in_force, not_in_force, policy

    store = open_store(store_config(settings), migrate=migrate)
    periods = in_force(store, settings)
    for note in not_in_force(periods, settings):
        log.warning("%s", note)  # on stderr for commands; in the app's log file
    store.retention = policy(periods)
    return store


def rotate_keys(settings: Settings) -> int:
    return rotate_master_key(store_config(settings))
