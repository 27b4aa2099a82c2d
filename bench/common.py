"""Shared helpers: timing, reporting, and a fast bulk loader that writes visits exactly as
a check-in does (same ciphertexts, same associated data), only many per transaction."""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, insert, text

from kiosk.config import Settings
from kiosk.domain.retention import Category
from kiosk.domain.staff import Actor
from kiosk.services.bundle import Services
from storage.codec import Personal, seal_personal
from storage.ids import time_ordered_id
from storage.models import Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.sealing import listed_text, seal_mac

BENCH = Actor("bench")

# The size of a run: 1 for the figures, 0.1 for a quick look, 0.001 in the test suite.
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    goal: str
    met: bool

    def line(self) -> str:
        flag = "met" if self.met else "MISSED"
        return (
            f"{self.name:<44} {self.value:>10.2f} {self.unit:<6} baseline {self.baseline:>10.2f}"
            f"  ratio {self.ratio:>6.2f}  goal {self.goal:<22} {flag}"
        )


def median_ms(fn: Callable[[], object], repeat: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def paired_median_ms(
    ours: Callable[[], object], raw: Callable[[], object], repeat: int = 31, warmup: int = 2
) -> tuple[float, float]:
    """Medians of ``ours`` and ``raw`` run in turns: this machine's speed drifts by a
    third within a minute, and alternating puts both sides under the same drift."""
    for _ in range(warmup):
        ours()
        raw()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, into in ((ours, times[0]), (raw, times[1])):
            t0 = time.perf_counter()
            fn()
            into.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times[0]), statistics.median(times[1])


def open_bench_store(folder: Path) -> Repositories:
    return open_repositories(
        StoreConfig(
            database_url=f"sqlite:///{folder / 'kiosk.db'}",
            keystore_url=f"sqlite:///{folder / 'keystore.db'}",
            key_file=folder / "master.key",
            site_name="Bench site",
            timezone="UTC",
        )
    )


def fake(n: int) -> Personal:
    return Personal(
        name=f"Benchmark Visitor {n:07d}",
        email=f"visitor{n:07d}@example.invalid",
        company=f"Company {n % 5000:04d} B.V.",
        host_name=f"Host {n % 300:03d}",
        screening="passed",
    )


HOSTS = 300


def services_over(repos: Repositories) -> Services:
    """The use cases over the bench's store (default settings: none of them matter here)."""
    return Services.over(repos, Settings())


RAW_VISITS = "raw_visits"


def bulk_load(
    store: Repositories,
    count: int,
    start: datetime,
    spread: timedelta,
    batch: int = 20_000,
    *,
    unsealed_copy: bool = False,
) -> None:
    """Insert ``count`` visits spread evenly over ``spread`` from ``start``, like a real
    day's: nine in ten have left, most visit a host from the directory (300 of them),
    a tenth are deliveries (no NDA). Each envelope is sealed as the kiosk seals it
    (storage.sealing). ``unsealed_copy``: the same rows also go to RAW_VISITS (same
    columns and day index), their envelopes with the associated data of before the
    seal: what a raw baseline of "decrypt the day" measured until then."""
    step = spread / max(count, 1)
    hosts = [h.id for h in store.hosts.all()]
    if not hosts:
        with store.db.uow("admin") as tx:
            hosts = [store.hosts.add(tx, f"Host {i:03d}") for i in range(HOSTS)]
    db = store.db
    with db.engine.begin() as conn:
        if unsealed_copy:
            conn.execute(
                text(f"CREATE TABLE IF NOT EXISTS {RAW_VISITS} AS SELECT * FROM visits WHERE 0")
            )
            conn.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS ix_{RAW_VISITS}_day"
                    f" ON {RAW_VISITS} (site_id, local_day, arrived_at)"
                )
            )
        rows: list[dict[str, Any]] = []
        copies: list[dict[str, Any]] = []
        for n in range(count):
            at = start + step * n
            key_id, aead = db.keystore.key_for_day(db.site_id, Category.VISIT, at.date())
            vid = time_ordered_id(at)
            values = fake(n)
            rows.append(
                {
                    "id": vid,
                    "site_id": db.site_id,
                    "key_id": key_id,
                    "created_at": at,
                    "arrived_at": at,
                    "departed_at": at + timedelta(hours=1 + n % 3) if n % 10 else None,
                    "local_day": db.local_day(at),
                    "visitor_type": "delivery" if n % 10 == 5 else "guest",
                    "host_id": hosts[n % len(hosts)] if n % 10 != 5 else None,
                    "email_bidx": db.email_index(values.email or ""),
                    "phone_bidx": None,
                    # Random like the real ones (HMACs of random codes), not sequential:
                    # a random index is what a purge has to work through.
                    "badge_hash": os.urandom(32),
                    "privacy_version": "bench",
                    "privacy_sha256": "0" * 64,
                    "under_16": False,
                    "needs_confirmation": False,
                    "flagged": False,
                    "restricted": False,
                    "nda_accepted": n % 10 != 5,
                    "auto_checkout": False,
                }
            )
            row = rows[-1]
            row["seal_mac"] = seal_mac(db.seal_key, row)
            row["personal_ct"] = seal_personal(aead, vid, key_id, values, sealed=listed_text(row))
            if unsealed_copy:
                copies.append({**row, "personal_ct": seal_personal(aead, vid, key_id, values)})
            if len(rows) >= batch:
                _write(conn, rows, copies)
                rows, copies = [], []
        if rows:
            _write(conn, rows, copies)


def _write(conn: Any, rows: list[dict[str, Any]], copies: list[dict[str, Any]]) -> None:
    conn.execute(insert(Visit), rows)
    if copies:
        conn.execute(insert(_raw_table()), copies)


@functools.cache
def _raw_table() -> Table:
    """RAW_VISITS as SQLAlchemy sees it: the visits table's columns (and types)."""
    table: Table = Visit.__table__.to_metadata(MetaData(), name=RAW_VISITS)  # type: ignore[attr-defined]
    return table


NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
