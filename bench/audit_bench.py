"""Verifying the audit trail (`kiosk audit verify`, the console's Verify, `kiosk status`):
a year of a busy lobby is hundreds of thousands of events, walked from the anchor each
time. Against a raw sqlite3 walk computing the same keyed hashes, and in bounded memory."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import NOW, SCALE, Result, open_bench_store, paired_median_ms
from storage.audit import GENESIS, event_hash
from storage.repositories import Repositories

# What the kiosk writes, in its proportions: most events carry no details or the same
# few shapes; some carry their own (a time, a count).
DETAILS: list[dict[str, object]] = [
    {},
    {},
    {"fields": ["name", "email"]},
    {"at": "17:00"},
    {"days": 30, "rows": 120},
]


def load_chain(store: Repositories, count: int) -> None:
    """``count`` events chained exactly as storage.audit.append writes them, inserted in
    one transaction (appending one by one would take minutes at this size)."""
    prev, rows = GENESIS, []
    for seq in range(1, count + 1):
        at = NOW + timedelta(seconds=seq)
        details = DETAILS[seq % len(DETAILS)] if seq % 7 else {"n": seq}
        actor, action = ("kiosk", "visit.check_in") if seq % 3 else ("staff:ann", "log.read")
        object_id = f"0192f0aa-0000-7000-8000-{seq:012d}"
        digest = event_hash(
            store.db.audit_key,
            prev,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_id=object_id,
            details=details,
        )
        stamp = at.replace(tzinfo=None).isoformat(" ", "microseconds")
        rows.append((seq, stamp, actor, action, object_id, json.dumps(details), prev, digest))
        prev = digest
    with sqlite3.connect(store.db.engine.url.database or "") as conn:
        conn.executemany(
            "INSERT INTO audit_events (seq, at, actor, action, object_id, details, prev_hash,"
            " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def raw_verify(path: Path, key: bytes) -> int:
    """The plain way: sqlite3 in batches, each event's body encoded and keyed-hashed."""
    canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
    checked, prev = 0, GENESIS
    with sqlite3.connect(path) as conn:
        cur = conn.execute(
            "SELECT seq, at, actor, action, object_id, details, prev_hash, hash"
            " FROM audit_events ORDER BY lane, seq"  # the key's order (one lane here)
        )
        while rows := cur.fetchmany(5000):
            for seq, at, actor, action, object_id, details, prev_hash, stored in rows:
                at_text = datetime.fromisoformat(at).replace(tzinfo=UTC).isoformat()
                body = [seq, at_text, actor, action, object_id, json.loads(details)]
                digest = hmac.new(key, prev + canonical.encode(body).encode(), hashlib.sha256)
                if prev_hash != prev or not hmac.compare_digest(digest.digest(), stored):
                    raise AssertionError(f"event {seq}")
                prev, checked = stored, checked + 1
    return checked


def _peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_audit_verify(folder: Path) -> list[Result]:
    count = max(5000, int(200_000 * SCALE))
    store = open_bench_store(folder)
    load_chain(store, count)
    assert store.db.checkpoint is not None
    store.db.checkpoint.sync()  # as the unit of work moves it after its commits
    path = folder / "kiosk.db"
    key = store.db.audit_key
    result = store.audit.verify()
    assert result.ok and result.checked == count, result
    assert raw_verify(path, key) == count
    ours, raw = paired_median_ms(
        store.audit.verify, lambda: raw_verify(path, key), repeat=5, warmup=1
    )
    ours_mb = _peak_mb(store.audit.verify)
    raw_mb = _peak_mb(lambda: raw_verify(path, key))
    return [
        Result(
            f"audit trail of {count} events verified",
            count / ours * 1e3,
            "ev/s",
            count / raw * 1e3,
            raw / ours,
            ">= 0.8 x raw",
            raw / ours >= 0.8,
        ),
        Result(
            "  peak memory of the verification",
            ours_mb,
            "MB",
            raw_mb,
            ours_mb / raw_mb,
            "<= 32 MB",
            ours_mb <= 32,
        ),
    ]
