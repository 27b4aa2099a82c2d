"""Issue 33 benchmark: a visitor's rights export (find everything held about one person,
decrypt it, write the JSON file) among 1,000,000 visits and their NDA acceptances, goal
at most 50 ms median; against raw sqlite3 finding the same rows by the same blind
indexes, decrypting them (their seals checked as ours are) and writing the same JSON."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.common import (
    NOW,
    SCALE,
    Result,
    bulk_load,
    fake,
    median_ms,
    open_bench_store,
    services_over,
)
from bench.store_bench import SELECT_SEALED, _key_map
from kiosk.domain.retention import Category
from kiosk.domain.staff import Actor
from kiosk.services.rights import Person
from storage.codec import unseal
from storage.ids import time_ordered_id
from storage.models import NdaAcceptance, Visit
from storage.repositories import Repositories
from storage.repositories.visit_reads import VISIT_DAYS
from storage.sealing import nda_seal, visit_ad

ADMIN = Actor("bench", "admin")
NDA_COLUMNS = (
    "id, site_id, key_id, created_at, document_version, document_language,"
    " document_sha256, email_bidx, phone_bidx, signed_name_ct, contact_ct"
)


def _load_ndas(store: Repositories, batch: int = 20_000) -> int:
    """An NDA acceptance for every visit that has one, as a check-in stores it: signed by
    the visitor, their contact sealed with it and its blind index."""
    db = store.db
    with db.engine.connect() as conn:
        visits = conn.execute(select(Visit.id, Visit.arrived_at).order_by(Visit.arrived_at)).all()
    made = 0
    with db.engine.begin() as conn:
        rows: list[dict[str, Any]] = []
        for n, (visit_id, at) in enumerate(visits):
            if n % 10 == 5:  # deliveries sign none (bench.common.bulk_load)
                continue
            key_id, aead = db.keystore.key_for_day(db.site_id, Category.NDA, at.date())
            values: dict[str, Any] = dict(
                id=time_ordered_id(at),
                site_id=db.site_id,
                visit_id=visit_id,
                key_id=key_id,
                created_at=at,
                document_version="bench",
                document_language="en",
                document_sha256="1" * 64,
            )
            person = fake(n)
            values |= store.visits._nda_sealed(aead, values, person.name, person.email, None)
            rows.append(values)
            if len(rows) >= batch:
                conn.execute(insert(NdaAcceptance), rows)
                made += len(rows)
                rows = []
        if rows:
            conn.execute(insert(NdaAcceptance), rows)
            made += len(rows)
    return made


def _raw_export(
    conn: sqlite3.Connection, store: Repositories, keys: dict[str, Any], email: str, out: Path
) -> tuple[int, int]:
    """What a rights export must do at the least: the person's visits and NDA
    acceptances found by their blind index (the visits, as ours, one seek per day held),
    decrypted with their seals checked, compared with the e-mail asked for, written as
    JSON. (No audit events, no hosts' names, no requests or invitations.)"""
    db = store.db
    index = db.email_index(email)
    visits = []
    sql = SELECT_SEALED + f" WHERE site_id = ? AND local_day IN ({VISIT_DAYS}) AND email_bidx = ?"
    for head, blob in conn.execute(sql, (db.site_id.hex, index)):
        vid, kid = head[:32], head[32:64]
        plain = keys[kid].decrypt(blob[:12], blob[12:], visit_ad(uuid.UUID(vid),
                                  uuid.UUID(kid), head[64:])).decode()  # fmt: skip
        _, name, mail, phone, company, host, screening = plain.split("\x1f")
        if mail.casefold() == email.casefold():
            visits.append({"id": vid, "name": name, "email": mail, "phone": phone,
                           "company": company, "host": host, "screening": screening})  # fmt: skip
    ndas = []
    nda_sql = f"SELECT {NDA_COLUMNS} FROM nda_acceptances WHERE site_id = ? AND email_bidx = ?"
    for row in conn.execute(nda_sql, (db.site_id.hex, index)):
        (rid, site, kid, created, version, language, sha, ebidx, pbidx, name_ct, contact_ct) = row
        columns = {
            "site_id": uuid.UUID(site),
            "created_at": _stored_time(created),
            "document_version": version,
            "document_language": language,
            "document_sha256": sha,
            "email_bidx": ebidx,
            "phone_bidx": pbidx,
        }
        sealed = nda_seal(columns)
        aead, row_id, key_id = keys[uuid.UUID(kid).hex], uuid.UUID(rid), uuid.UUID(kid)
        name = unseal(aead, "nda_acceptances", "signed_name", row_id, key_id, name_ct,
                      sealed=sealed)  # fmt: skip
        contact = unseal(aead, "nda_acceptances", "contact", row_id, key_id, contact_ct,
                         sealed=sealed)  # fmt: skip
        if contact is not None and email.casefold() in contact.casefold():
            ndas.append({"signed_name": name, "document_version": version})
    body = json.dumps({"visits": visits, "nda_acceptances": ndas}, ensure_ascii=False, indent=2)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    return len(visits), len(ndas)


def _stored_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def bench_rights_export(folder: Path) -> list[Result]:
    count = max(10_000, int(1_000_000 * SCALE))
    store = open_bench_store(folder / "db")
    t0 = time.perf_counter()
    bulk_load(store, count, NOW - timedelta(days=30), timedelta(days=29, hours=23))
    ndas = _load_ndas(store)
    print(f"  (loaded {count} visits and {ndas} NDA acceptances in"
          f" {time.perf_counter() - t0:.1f} s)", flush=True)  # fmt: skip
    services = services_over(store)
    rng = random.Random(33)
    targets = [rng.randrange(count) for _ in range(70)]
    it = iter(targets)
    out = folder / "out"
    out.mkdir()

    def ours() -> None:
        n = next(it)
        done = services.rights.export(Person(email=fake(n).email), out / f"ours-{n}.json", ADMIN)
        held = done.data
        assert [v.name for v in held.visits] == [fake(n).name]
        assert len(held.nda_acceptances) == (0 if n % 10 == 5 else 1)

    ours_ms = median_ms(ours, repeat=30, warmup=5)
    keys = _key_map(store)
    raw = sqlite3.connect(folder / "db" / "kiosk.db")
    it2 = iter(targets)

    def raw_export() -> None:
        n = next(it2)
        email = fake(n).email or ""
        found = _raw_export(raw, store, keys, email, out / f"raw-{n}.json")
        assert found == (1, 0 if n % 10 == 5 else 1), found

    base_ms = median_ms(raw_export, repeat=30, warmup=5)
    raw.close()
    return [
        Result(
            f"rights export of one person among {count} visits + {ndas} NDAs",
            ours_ms,
            "ms",
            base_ms,
            ours_ms / base_ms,
            "<= 50 ms median",
            ours_ms <= 50,
        )
    ]
