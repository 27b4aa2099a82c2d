"""The privacy notices and NDAs visitors were shown are kept under their SHA-256, on
SQLite and PostgreSQL: what an acceptance is evidence of can be read back and checked
after the file changed and the visit expired."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.documents import Terms
from kiosk.documents import load as load_document
from kiosk.domain.documents import DocumentText
from kiosk.domain.registration import Registration
from kiosk.domain.rights import PersonData
from kiosk.domain.staff import Actor
from kiosk.domain.visits import NdaSignature
from kiosk.services.rights import Person, person_json
from storage.models import NdaAcceptance, ShownDocument, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import check_in, services_over


def _check_in(
    store: Repositories, n: int, terms: Terms, *, language: str = "en", folder: Path | None = None
) -> None:
    """A check-in as the kiosk makes one: the documents loaded, their hashes signed."""
    privacy = load_document("privacy", language, terms, folder)
    nda = load_document("nda", language, terms, folder)
    name = f"Zyxwvut Fakename{n:05d}"
    registration = Registration(
        name=name,
        email=f"zyx.fake{n:05d}@example.com",
        privacy_version=privacy.version,
        privacy_sha256=privacy.sha256,
        privacy_language=privacy.language,
        nda=NdaSignature(nda.version, nda.language, nda.sha256, name),
    )
    services_over(store).checkin.check_in(registration, OPERATOR)


def _lookup(store: Repositories, email: str) -> PersonData:
    """Everything held about the visitor with this e-mail address, as an admin reads it."""
    return services_over(store).rights.lookup(Person(email=email), Actor("admin"))


def _hashes(store: Repositories) -> tuple[list[str], list[str]]:
    with store.db.read_session() as s:
        visits = list(s.scalars(select(Visit.privacy_sha256)))
        ndas = list(s.scalars(select(NdaAcceptance.document_sha256)))
    return visits, ndas


def test_each_text_shown_is_kept_once_and_is_what_its_hash_is_of(
    store: Repositories, store_config: StoreConfig
) -> None:
    terms = Terms.of(store.db.retention, screening=False)
    for n in range(3):
        _check_in(store, n, terms)
    _check_in(store, 3, terms, language="nl")
    visit_hashes, nda_hashes = _hashes(store)
    for sha in visit_hashes + nda_hashes:
        assert hashlib.sha256(store.documents.text(sha).encode()).hexdigest() == sha
    kept = [(d.kind, d.language, d.uses) for d in store.documents.kept()]
    assert sorted(kept) == [("nda", "en", 3), ("nda", "nl", 1), ("privacy", "en", 3),
                            ("privacy", "nl", 1)]  # fmt: skip
    text = store.documents.text(nda_hashes[0])
    assert text.startswith("version: ") and "Non-disclosure agreement" in text
    # A second kiosk on the same database shows the same texts: no second row, no error.
    other = open_repositories(store_config)
    _check_in(other, 4, terms)
    other.db.engine.dispose()
    other.db.keystore.engine.dispose()
    with store.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ShownDocument)) == 4


def test_one_text_shown_in_two_languages_is_kept_as_each(
    store: Repositories, tmp_path: Path
) -> None:
    """An office that copies its English NDA as its Dutch one: the acceptances say which
    language each visitor had, and so do the kept texts."""
    folder = tmp_path / "documents"
    folder.mkdir()
    for language in ("en", "nl"):
        (folder / f"nda.{language}.md").write_text("version: acme-1\n# Acme's NDA\n")
    terms = Terms.of(store.db.retention, screening=False)
    _check_in(store, 0, terms, language="nl", folder=folder)
    _check_in(store, 1, terms, language="en", folder=folder)
    _check_in(store, 2, terms, language="en", folder=folder)
    kept = store.documents.kept()
    ndas = sorted((d.language, d.version, d.uses) for d in kept if d.kind == "nda")
    assert ndas == [("en", "acme-1", 2), ("nl", "acme-1", 1)]
    for n, language in ((0, "nl"), (1, "en")):
        data = _lookup(store, f"zyx.fake{n:05d}@example.com")
        [nda] = person_json(data)["nda_acceptances"]
        assert (nda["document_language"], nda["document_text"]) == (
            language,
            "version: acme-1\n# Acme's NDA\n",
        )


def test_a_changed_text_is_kept_beside_the_old_and_outlives_the_visits(store: Repositories) -> None:
    """The privacy notice states the retention in force: a new period is a new text. The
    old one stays for the NDA acceptances (kept two years) after the visits expire."""
    now = datetime.now(UTC)
    _check_in(store, 0, Terms(visit_days=30, nda_days=730))
    _check_in(store, 1, Terms(visit_days=14, nda_days=730))
    visit_hashes, nda_hashes = _hashes(store)
    assert len(set(visit_hashes)) == 2 and len(set(nda_hashes)) == 1
    assert "14 days" in store.documents.text(visit_hashes[1])
    store.retention.purge(now + timedelta(days=31))
    assert _hashes(store) == ([], nda_hashes)  # the visits are gone, the acceptances kept
    assert {d.kind: d.uses for d in store.documents.kept() if d.kind == "nda"} == {"nda": 2}
    assert (
        hashlib.sha256(store.documents.text(nda_hashes[0]).encode()).hexdigest() == (nda_hashes[0])
    )


def test_a_text_that_is_not_what_its_hash_is_of_stores_nothing(store: Repositories) -> None:
    wrong = DocumentText("nda", "en", "1", "1" * 64, "version: 1\nsomething else")
    with pytest.raises(ValueError, match="does not match its hash"):
        check_in(store, replace(visitor(0), documents=(wrong,)), actor="test")
    with store.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
        assert s.scalar(select(func.count()).select_from(ShownDocument)) == 0


def test_a_visitors_export_holds_the_nda_they_signed(store: Repositories) -> None:
    _check_in(store, 0, Terms.of(store.db.retention, screening=False))
    data = _lookup(store, "zyx.fake00000@example.com")
    [nda] = person_json(data)["nda_acceptances"]
    assert nda["document_text"] == store.documents.text(nda["document_sha256"])
    check_in(store, visitor(1), actor="test")  # a hash no text was kept for (as before 0007)
    data = _lookup(store, visitor(1).email or "")
    assert person_json(data)["nda_acceptances"][0]["document_text"] is None


def test_cli_lists_and_prints_the_texts(store_config: StoreConfig, tmp_path: Path) -> None:
    def kiosk(*args: str) -> str:
        done = run_cli(store_config, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    kiosk("checkin", "--name", "Zyxwvut Fakename", "--email", "zyx@example.com", "--accept-nda")
    out = kiosk("documents", "list").splitlines()
    listed = [line.split() for line in out if not line.startswith(" ")]
    privacy, nda = load_document("privacy", "en"), load_document("nda", "en")
    assert privacy.effective is not None and nda.effective is not None
    assert sorted((row[0], row[1], row[2], row[3], row[-2]) for row in listed) == [
        ("nda", "en", nda.version, nda.effective.isoformat(), "1"),
        ("privacy", "en", privacy.version, privacy.effective.isoformat(), "1"),
    ]  # each version with the day it applies from, then what changed in it
    assert out.count(f"    changes: {privacy.changes}") == 1
    assert out.count(f"    changes: {nda.changes}") == 1
    for row in listed:
        printed = kiosk("documents", "show", row[4])
        assert hashlib.sha256(printed.encode()).hexdigest() == row[4]
        assert "Zyxwvut" not in printed
    missing = run_cli(store_config, tmp_path, "documents", "show", "ab" * 32)
    assert missing.returncode == 1
    assert missing.stderr == f"kiosk: error: no document with SHA-256 {'ab' * 32}\n"


def test_cli_check_ins_sign_the_offices_own_nda(store_config: StoreConfig, tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    for language in ("en", "nl"):
        (folder / f"nda.{language}.md").write_text("version: acme-7\n# Acme's NDA\n")
    (tmp_path / "config.toml").write_text(f"documents_dir = '{folder}'\n")
    args = ("checkin", "--name", "Zyxwvut Fakename", "--email", "zyx@example.com")
    assert run_cli(store_config, tmp_path, *args, "--accept-nda").returncode == 0
    listed = run_cli(store_config, tmp_path, "documents", "list").stdout.split()
    assert listed[:4] == [
        "nda",
        "en",
        "acme-7",
        "-",
    ]  # the office's, undated; the notice is built in
    assert listed[4] == hashlib.sha256((folder / "nda.en.md").read_bytes()).hexdigest()
    (folder / "nda.nl.md").unlink()
    refused = run_cli(store_config, tmp_path, *args, "--accept-nda")
    assert refused.returncode == 1 and "nda.nl.md missing" in refused.stderr
