"""Exports, the evacuation list and audit verification, through the real CLI."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyrage
import pytest
from sqlalchemy import delete, func, select, update

from kiosk.domain.staff import Actor
from kiosk.services.export import FIELDS, ExportError, ExportRequest, ExportResult, LocalTimes
from storage.errors import DatabaseUnavailable
from storage.models import AuditEvent, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.repositories.visit_reads import VisitReads
from tests.helpers.factories import run_cli, visitor
from tests.helpers.store import add_host, check_in, check_out, services_over

DAY = datetime(2026, 11, 20, 9, tzinfo=UTC)


def _seed(store: Repositories) -> list[str]:
    names = []
    for i in range(6):
        v = visitor(i, company='=HYPERLINK("http://x")' if i == 2 else f"Fake Co {i}")
        check_in(store, v, actor="test", now=DAY + timedelta(days=i % 3, hours=i))
        names.append(v.name)
    check_in(store, visitor(99), actor="test", now=DAY + timedelta(days=10))  # out of range
    return names


def _run(store: Repositories, request: ExportRequest) -> ExportResult:
    """`kiosk export` as the operator runs it."""
    return services_over(store).export.export(request, Actor("os:test"))


def _export(store: Repositories, tmp_path: Path, **kw: object) -> tuple[Path, object]:
    out = tmp_path / f"export-{len(list(tmp_path.iterdir()))}"
    req = ExportRequest(start=DAY.date(), end=(DAY + timedelta(days=2)).date(), output=out, **kw)  # type: ignore[arg-type]
    return out, _run(store, req)


def test_csv_export_has_exactly_the_rows_and_is_spreadsheet_safe(
    store: Repositories, tmp_path: Path
) -> None:
    names = _seed(store)
    out, result = _export(store, tmp_path)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted(r["name"] for r in rows) == sorted(names)
    assert result.rows == 6  # type: ignore[attr-defined]
    assert "screening" not in rows[0]
    assert [r["company"] for r in rows if r["company"].startswith("'")] == [
        '\'=HYPERLINK("http://x")'
    ]
    assert out.stat().st_mode & 0o777 == 0o600


def test_fields_formats_and_health_only_when_asked(store: Repositories, tmp_path: Path) -> None:
    _seed(store)
    out, _ = _export(store, tmp_path, fmt="jsonl", fields=("name", "company"))
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 6 and set(lines[0]) == {"name", "company"}
    out, _ = _export(store, tmp_path, fmt="json", include_health=True)
    data = json.loads(out.read_text())
    assert len(data) == 6 and data[0]["screening"] == "passed"
    with pytest.raises(ExportError, match="only with --include-health"):
        _export(store, tmp_path, fields=("name", "screening"))


def test_restricted_records_are_left_out(store: Repositories, tmp_path: Path) -> None:
    _seed(store)
    with store.db.engine.connect() as conn:
        early = conn.execute(select(Visit.id).where(Visit.arrived_at < DAY + timedelta(hours=1)))
        ids = list(early.scalars())
    with store.db.uow("test") as tx:
        assert store.rights.set_restricted(tx, ids, True) == 1
    _, result = _export(store, tmp_path)
    assert result.rows == 5  # type: ignore[attr-defined]
    _, result = _export(store, tmp_path, include_restricted=True)
    assert result.rows == 6  # type: ignore[attr-defined]


def test_age_encrypted_export_opens_with_the_identity(store: Repositories, tmp_path: Path) -> None:
    names = _seed(store)
    identity = pyrage.x25519.Identity.generate()
    out, result = _export(store, tmp_path, encrypt_to=(str(identity.to_public()),))
    blob = out.read_bytes()
    assert blob.startswith(b"age-encryption.org/v1")
    assert names[0].encode() not in blob
    rows = list(csv.DictReader(io.StringIO(pyrage.decrypt(blob, [identity]).decode())))
    assert sorted(r["name"] for r in rows) == sorted(names)

    assert result.sha256 == hashlib.sha256(blob).hexdigest()  # type: ignore[attr-defined]
    out, _ = _export(store, tmp_path, passphrase="correct horse battery")
    plain = pyrage.passphrase.decrypt(out.read_bytes(), "correct horse battery").decode()
    assert len(list(csv.DictReader(io.StringIO(plain)))) == 6
    with pytest.raises(ExportError, match="passphrase is empty"):
        _export(store, tmp_path, passphrase="")


def test_each_export_is_audited_without_personal_data(store: Repositories, tmp_path: Path) -> None:
    _seed(store)
    _, result = _export(store, tmp_path, fields=("name", "arrived_at"))
    with store.db.engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.actor, AuditEvent.details).where(
            AuditEvent.action == "export.access_records")).all()  # fmt: skip
    [(actor, details)] = rows
    assert actor == "os:test"
    assert details["rows"] == 6 and details["fields"] == ["name", "arrived_at"]
    assert details["sha256"] == result.sha256  # type: ignore[attr-defined]
    assert details["from"] == "2026-11-20" and details["to"] == "2026-11-22"


def test_onsite_lists_exactly_those_checked_in_and_not_out(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    store = open_repositories(store_config)
    here = [check_in(store, visitor(i), actor="test") for i in range(4)]
    check_out(store, here[1].badge_code, actor="test")
    check_in(store, visitor(50), actor="test", now=datetime.now(UTC) - timedelta(days=5))
    check_in(store, visitor(60, name="Ærlig Åsefake"), actor="test")
    proc = run_cli(store_config, tmp_path, "onsite", "--format", "csv")
    names = [r["name"] for r in csv.DictReader(io.StringIO(proc.stdout))]
    # Alphabetical as people read it: Æ with the A's, not after Z.
    assert names == ["Ærlig Åsefake", *sorted([visitor(i).name for i in (0, 2, 3)])]


def test_audit_verify_from_therun_cli(store_config: StoreConfig, tmp_path: Path) -> None:
    store = open_repositories(store_config)
    for i in range(3):
        check_in(store, visitor(i), actor="test")
    ok = run_cli(store_config, tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "3 event(s) checked" in ok.stdout
    shown = run_cli(store_config, tmp_path, "audit", "show", "--action", "visit.check_in").stdout
    assert shown.count("visit.check_in") == 3 and visitor(0).name not in shown
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    cut = run_cli(store_config, tmp_path, "audit", "verify")
    assert cut.returncode != 0 and "cut off" in cut.stderr
    assert "kiosk audit accept-restore" in cut.stderr
    accepted = run_cli(store_config, tmp_path, "audit", "accept-restore")
    assert accepted.returncode == 0, accepted.stderr
    assert "the checkpoint recorded event 3, the restored chain ended at 2" in accepted.stdout
    assert run_cli(store_config, tmp_path, "audit", "verify").returncode == 0
    again = run_cli(store_config, tmp_path, "audit", "accept-restore")
    assert again.returncode != 0 and "no restore to accept" in again.stderr


def test_export_of_another_site_sharing_the_database(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    _seed(store)
    annex = open_repositories(
        dataclasses.replace(store_config, site_name="Fictional Annex"), new_site=True
    )
    annex_host = add_host(annex, "Annex Hostperson", actor="admin")
    check_in(annex, visitor(50, host_name=None, host_id=annex_host), actor="t", now=DAY)
    check_in(annex, visitor(51), actor="test", now=DAY + timedelta(hours=2))
    annex.db.engine.dispose()
    args = ("export", "--from", "2026-11-20", "--to", "2026-11-22", "--format", "json")
    other = run_cli(store_config, tmp_path, *args, "--site", "Fictional Annex",
                 "--output", str(tmp_path / "annex.json"))  # fmt: skip
    assert other.returncode == 0, other.stderr
    rows = json.loads((tmp_path / "annex.json").read_text())
    assert sorted(r["name"] for r in rows) == [visitor(50).name, visitor(51).name]
    assert [r["host"] for r in rows if r["name"] == visitor(50).name] == ["Annex Hostperson"]
    own = run_cli(store_config, tmp_path, *args, "--output", str(tmp_path / "own.json"))
    assert own.returncode == 0 and len(json.loads((tmp_path / "own.json").read_text())) == 6
    unknown = run_cli(store_config, tmp_path, *args, "--site", "Nowhere", "--output",
                   str(tmp_path / "none.json"))  # fmt: skip
    assert unknown.returncode != 0 and "no site 'Nowhere'" in unknown.stderr
    assert not (tmp_path / "none.json").exists()


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_local_times_match_isoformat_across_offset_changes(zone: str) -> None:
    tz = ZoneInfo(zone)
    local = LocalTimes(tz)
    moment = datetime(2026, 3, 28, 12, tzinfo=UTC)  # spans spring and autumn changes
    for i in range(40_000):
        dt = moment + timedelta(seconds=997 * i, microseconds=i)
        assert local(dt) == dt.astimezone(tz).isoformat(timespec="seconds"), dt


def test_an_export_of_a_range_without_visits_is_well_formed(
    store: Repositories, tmp_path: Path
) -> None:
    out, result = _export(store, tmp_path)
    assert result.rows == 0  # type: ignore[attr-defined]
    assert out.read_bytes() == (",".join(FIELDS) + "\r\n").encode()
    out, _ = _export(store, tmp_path, fmt="json")
    assert json.loads(out.read_text()) == []
    out, _ = _export(store, tmp_path, fmt="jsonl")
    assert out.read_text() == ""


def test_a_tampered_record_is_counted_and_left_out(store: Repositories, tmp_path: Path) -> None:
    names = _seed(store)
    with store.db.engine.begin() as conn:
        vid, stored = conn.execute(
            select(Visit.id, Visit.personal_ct).order_by(Visit.arrived_at).limit(1)
        ).one()
        blob = bytearray(stored)
        blob[20] ^= 0x01
        conn.execute(update(Visit).where(Visit.id == vid).values(personal_ct=bytes(blob)))
    out, result = _export(store, tmp_path)
    assert result.rows == 5 and result.skipped_damaged == 1  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted(r["name"] for r in rows) == sorted(names[1:])


def test_a_failed_export_leaves_no_partial_file_and_keeps_the_earlier_one(
    store: Repositories, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(store)
    out_dir = tmp_path / "exports"
    earlier = out_dir / "access.csv"
    _run(
        store, ExportRequest(start=DAY.date(), end=(DAY + timedelta(days=2)).date(), output=earlier)
    )
    before = earlier.read_bytes()
    real = VisitReads.stream_fields

    def breaks_after_one_batch(self: VisitReads, *a: object, **kw: object) -> object:
        batches = real(self, *a, batch=2, **kw)  # type: ignore[arg-type]
        yield next(batches)
        raise DatabaseUnavailable("the database could not be used: gone")

    monkeypatch.setattr(VisitReads, "stream_fields", breaks_after_one_batch)
    with pytest.raises(DatabaseUnavailable):
        _run(
            store,
            ExportRequest(
                start=DAY.date(), end=(DAY + timedelta(days=2)).date(), output=out_dir / "b.csv"
            ),
        )
    assert [p.name for p in out_dir.iterdir()] == ["access.csv"]  # no partial file left
    assert earlier.read_bytes() == before
    with store.db.engine.connect() as conn:
        exports = select(func.count()).where(AuditEvent.action == "export.access_records")
        assert conn.scalar(exports) == 1  # only the export that completed


def test_an_earlier_export_is_never_overwritten(
    store: Repositories, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path twice (a second export the same day, a typo): refused before any
    work, and also when another file takes the name while the export runs."""
    _seed(store)
    span = {"start": DAY.date(), "end": (DAY + timedelta(days=2)).date()}
    exports = tmp_path / "exports"
    exports.mkdir()
    earlier = exports / "access.csv"
    earlier.write_text("yesterday's evidence\n")
    with pytest.raises(ExportError, match=r"access\.csv exists; choose a new file"):
        _run(store, ExportRequest(output=earlier, **span))  # type: ignore[arg-type]
    assert earlier.read_text() == "yesterday's evidence\n"
    with store.db.engine.connect() as conn:
        done = select(func.count()).where(AuditEvent.action == "export.access_records")
        assert conn.scalar(done) == 0  # nothing was exported

    late = exports / "late.csv"
    real = VisitReads.stream_fields

    def another_file_appears(self: VisitReads, *a: object, **kw: object) -> object:
        yield from real(self, *a, **kw)  # type: ignore[arg-type]
        late.write_text("someone else's\n")

    monkeypatch.setattr(VisitReads, "stream_fields", another_file_appears)
    with pytest.raises(ExportError, match=r"late\.csv exists"):
        _run(store, ExportRequest(output=late, **span))  # type: ignore[arg-type]
    assert late.read_text() == "someone else's\n"
    assert sorted(p.name for p in exports.iterdir()) == ["access.csv", "late.csv"]
