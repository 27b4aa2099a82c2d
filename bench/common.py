"""Shared helpers: timing, reporting, and a fast bulk loader that writes visits exactly as
a check-in does (same ciphertexts, same associated data), only many per transaction."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from kiosk.config import Settings
from kiosk.domain.retention import Category
from kiosk.domain.staff import Actor
from kiosk.services.bundle import Services
from storage.codec import Personal, seal_personal
from storage.ids import time_ordered_id
from storage.models import Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories

BENCH = Actor("bench")


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


def bulk_load(
    store: Repositories, count: int, start: datetime, spread: timedelta, batch: int = 20_000
) -> None:
    """Insert ``count`` visits spread evenly over ``spread`` from ``start``, like a real
    day's: nine in ten have left, most visit a host from the directory (300 of them),
    a tenth are deliveries (no NDA)."""
    step = spread / max(count, 1)
    hosts = [h.id for h in store.hosts.all()]
    if not hosts:
        with store.db.uow("admin") as tx:
            hosts = [store.hosts.add(tx, f"Host {i:03d}") for i in range(HOSTS)]
    db = store.db
    with db.engine.begin() as conn:
        rows = []
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
                    "personal_ct": seal_personal(aead, vid, key_id, values),
                }
            )
            if len(rows) >= batch:
                conn.execute(insert(Visit), rows)
                rows = []
        if rows:
            conn.execute(insert(Visit), rows)


NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
