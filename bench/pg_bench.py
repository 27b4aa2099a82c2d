"""Issue 37 benchmarks on the PostgreSQL server (skipped, saying why, when none answers):
the check-in commit rate against raw psycopg writing the same rows in one transaction
at the same durability, a day of 5,000 visits fetched and decrypted against raw psycopg
+ AES-GCM, and find by e-mail among 1,000,000 visits. Each in a throw-away database.

Eight kiosks at once, and during a purge: bench.pg_concurrent."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.common import (
    BENCH,
    NOW,
    SCALE,
    Result,
    bulk_load,
    fake,
    median_ms,
    services_over,
)
from bench.store_bench import new_visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.repositories.visit_reads import VISIT_DAYS
from storage.sealing import head_sql, visit_ad

PG_ADMIN_URL = os.environ.get("KIOSK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SELECT_SEALED = f"SELECT {head_sql('postgresql')}, personal_ct FROM visits"


def pg_missing() -> str | None:
    """None when the server answers, else why these benchmarks are skipped."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {PG_ADMIN_URL} ({type(exc).__name__})"


@contextmanager
def pg_store(folder: Path) -> Iterator[tuple[Repositories, str]]:
    """A fresh records database and key store on the server: (the repositories, the
    records database's psycopg address); both dropped afterwards."""
    names = [f"kiosk_bench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    store = open_repositories(
        StoreConfig(
            database_url=base.replace("postgresql://", "postgresql+psycopg://") + "/" + names[0],
            keystore_url=base.replace("postgresql://", "postgresql+psycopg://") + "/" + names[1],
            key_file=folder / "master.key",
            site_name="Bench site",
            timezone="UTC",
        )
    )
    try:
        yield store, f"{base}/{names[0]}"
    finally:
        store.db.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _skipped(name: str, why: str) -> Result:
    print(f"  skipped {name}: {why}", flush=True)
    return Result(f"{name} (skipped: {why})", 0.0, "", 0.0, 0.0, "needs PostgreSQL", True)


def _raw_checkin(conn: psycopg.Connection[Any], site: uuid.UUID, blob: bytes, seq: int) -> None:
    """The rows a check-in writes (visit, NDA acceptance, host e-mail, audit event), in
    one transaction at the server's durability (synchronous_commit as configured)."""
    vid, at = uuid.uuid4(), datetime(2026, 11, 29, 9, tzinfo=UTC)
    with conn.transaction():
        conn.execute(
            "INSERT INTO visits (id, site_id, key_id, created_at, arrived_at, local_day,"
            " visitor_type, personal_ct, email_bidx, badge_hash, privacy_version,"
            " privacy_sha256, under_16, needs_confirmation, flagged, restricted,"
            " nda_accepted, auto_checkout) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,"
            " false, false, false, false, true, false)",
            (vid, site, site, at, at, at.date(), "guest", os.urandom(140), seq,
             os.urandom(32), "bench", "0" * 64),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO nda_acceptances (id, site_id, visit_id, key_id, created_at,"
            " document_version, document_language, document_sha256, signed_name_ct)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (uuid.uuid4(), site, vid, site, at, "bench", "en", "1" * 64, blob),
        )
        conn.execute(
            "INSERT INTO outbox (id, site_id, visit_id, key_id, created_at, kind, payload_ct,"
            " attempts, next_attempt_at) VALUES (%s,%s,%s,%s,%s,'host_arrival',%s,0,%s)",
            (uuid.uuid4(), site, vid, site, at, blob, at),
        )
        conn.execute(
            "INSERT INTO audit_events (seq, at, actor, action, object_id, details,"
            " prev_hash, hash) VALUES (%s,%s,%s,%s,%s,'{}',%s,%s)",
            (seq, at, "bench", "visit.check_in", str(vid), blob[:32], blob[:32]),
        )


def bench_pg_checkin(folder: Path) -> list[Result]:
    name = "PostgreSQL check-in commit rate"
    if why := pg_missing():
        return [_skipped(name, why)]
    n = max(50, int(300 * SCALE))
    with pg_store(folder / "ours") as (store, _url), pg_store(folder / "raw") as (raw, url):
        checkin = services_over(store).checkin
        checkin.store(new_visit(0), BENCH)  # the day's keys
        site = raw.db.site_id
        blob = os.urandom(40)
        ours = baseline = 0.0
        done = 0
        with psycopg.connect(url) as conn:
            for _round in range(5):
                visits = [new_visit(i) for i in range(done + 1, done + n + 1)]
                t0 = time.perf_counter()
                for visit in visits:
                    checkin.store(visit, BENCH)
                ours = max(ours, n / (time.perf_counter() - t0))
                t0 = time.perf_counter()
                for i in range(done, done + n):
                    _raw_checkin(conn, site, blob, 1_000_000 + i)
                baseline = max(baseline, n / (time.perf_counter() - t0))
                done += n
    ratio = ours / baseline
    return [Result(name, ours, "/s", baseline, ratio, "ratio >= 0.6", ratio >= 0.6)]


def _raw_decrypt(
    conn: psycopg.Connection[Any], sql: str, args: tuple[object, ...], keys: dict[str, Any]
) -> int:
    """Fetch and decrypt, each envelope checked with its seal as ours is."""
    count = 0
    for head, blob in conn.execute(sql, args):
        vid, kid = head[:32], head[32:64]
        keys[kid].decrypt(blob[:12], blob[12:], visit_ad(uuid.UUID(vid), uuid.UUID(kid),
                                                         head[64:])).decode()  # fmt: skip
        count += 1
    return count


def _keys(store: Repositories) -> dict[str, Any]:
    return {k.hex: a for k, a in store.db.keystore._by_id.items()}


def bench_pg_day(folder: Path) -> list[Result]:
    name = "PostgreSQL day of 5,000 visits fetched and decrypted"
    if why := pg_missing():
        return [_skipped(name, why)]
    count = max(500, int(5000 * SCALE))
    with pg_store(folder) as (store, url):
        start = NOW.replace(hour=7)
        bulk_load(store, count, start, timedelta(hours=10))
        day = store.db.local_day(start)
        assert len(store.visits.on_day(day).visits) == count
        keys = _keys(store)
        sql = SELECT_SEALED + " WHERE site_id = %s AND local_day = %s ORDER BY arrived_at"
        with psycopg.connect(url) as conn:
            args = (store.db.site_id, day)
            assert _raw_decrypt(conn, sql, args, keys) == count
            base = median_ms(lambda: _raw_decrypt(conn, sql, args, keys), repeat=15)
        ours = median_ms(lambda: store.visits.on_day(day), repeat=15)
    ratio = ours / base
    return [Result(name, ours, "ms", base, ratio, "<= 1.5x raw", ratio <= 1.5)]


def bench_pg_find(folder: Path) -> list[Result]:
    count = max(10_000, int(1_000_000 * SCALE))
    name = f"PostgreSQL find by e-mail among {count} visits"
    if why := pg_missing():
        return [_skipped(name, why)]
    with pg_store(folder) as (store, url):
        t0 = time.perf_counter()
        bulk_load(store, count, NOW - timedelta(days=30), timedelta(days=29, hours=23))
        print(f"  (loaded {count} visits in {time.perf_counter() - t0:.1f} s)", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE visits")  # as autovacuum would have, on a server in use
        rng = random.Random(37)
        targets = [rng.randrange(count) for _ in range(60)]
        it = iter(targets)

        def find() -> None:
            n = next(it)
            found = store.visits.find_person(email=fake(n).email)
            assert [v.name for v in found] == [fake(n).name]

        ours = median_ms(find, repeat=50, warmup=5)
        keys = _keys(store)
        it2 = iter(targets)
        # The same index walk as ours: one seek per day held.
        sql = (
            SELECT_SEALED
            + f" WHERE site_id = %s AND local_day IN ({VISIT_DAYS}) AND email_bidx = %s"
        )
        with psycopg.connect(url) as conn:

            def raw_find() -> None:
                email = fake(next(it2)).email or ""
                args = (store.db.site_id, store.db.email_index(email))
                _raw_decrypt(conn, sql, args, keys)

            base = median_ms(raw_find, repeat=50, warmup=5)
    return [Result(name, ours, "ms", base, ours / base, "<= 5 ms median", ours <= 5)]
