"""Schema migrations keep every row, including the rows that point at rebuilt tables."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from kiosk.domain.documents import DocumentText
from kiosk.domain.visits import NdaSignature, ScreeningOutcome
from storage.keystore_models import KeyBase
from storage.migrate import HEADS, current_revision, downgrade, upgrade
from storage.models import Base, HealthScreening, NdaAcceptance, OutboxMessage, ShownDocument, Visit
from storage.repositories import Repositories
from storage.reseal import seal_earlier_rows
from tests.helpers.factories import visitor
from tests.helpers.store import add_host, check_in, check_out

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)


def _counts(store: Repositories) -> dict[str, int]:
    """Rows per table, and the NDA and outbox rows still linked to their visit (their
    foreign keys are ON DELETE SET NULL: a cascade would keep them but cut the link)."""
    with store.db.engine.connect() as conn:
        counts = {
            m.__tablename__: int(conn.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Visit, NdaAcceptance, HealthScreening, OutboxMessage)
        }
        for m in (NdaAcceptance, OutboxMessage):
            linked = select(func.count()).select_from(m).where(m.visit_id.is_not(None))
            counts[f"{m.__tablename__} linked"] = int(conn.scalar(linked) or 0)
        return counts


def test_day_led_indexes_migrate_both_ways_without_losing_rows(store: Repositories) -> None:
    codes = [
        check_in(
            store,
            visitor(i, screening=ScreeningOutcome.PASSED),
            actor="test",
            now=NOW - timedelta(days=i),
        ).badge_code
        for i in range(4)
    ]
    before = _counts(store)
    assert before["visits"] == 4 and before["nda_acceptances linked"] == 4

    # Back to 0003 rebuilds the visits table (SQLite) with the old unique badge column...
    downgrade(store.db.engine, "records", "0003")
    assert current_revision(store.db.engine, "records") == "0003"
    indexes = {i["name"] for i in inspect(store.db.engine).get_indexes("visits")}
    assert "ix_visits_email_bidx" in indexes and "ix_visits_day_email" not in indexes
    # ...and forward again; neither DROP of the old table cascaded into its children.
    upgrade(store.db.engine, "records")
    assert current_revision(store.db.engine, "records") == HEADS["records"]
    assert _counts(store) == before
    indexes = {i["name"] for i in inspect(store.db.engine).get_indexes("visits")}
    assert {"ix_visits_day_badge", "ix_visits_day_email", "ix_visits_day_phone"} <= indexes
    assert "ix_visits_email_bidx" not in indexes

    # The next start seals them again (the seal_mac column went with the downgrade).
    assert seal_earlier_rows(store.db)["visits"] == 4
    # The look-ups that now go through the day-led indexes find the same visits.
    assert store.visits.find_person(email=visitor(2).email)[0].name == visitor(2).name
    assert store.visits.find_person(phone=visitor(3).phone)[0].name == visitor(3).name
    for code in codes:
        check_out(store, code, actor="test")
    assert all(v.departed_at for v in store.visits.find_person(email=visitor(0).email))
    # The audit trail came through both rebuilds of its table (0021: its lanes) whole,
    # and the events written since follow the old ones.
    verified = store.audit.verify()
    assert verified.ok and verified.checked == len(store.audit.events()) >= 8


def test_hosts_keep_their_rows_across_the_language_column(store: Repositories) -> None:
    """0006 adds hosts.language: hosts from before keep name, e-mail and state, and get
    the site's language (none of their own); downgrading drops only the column."""
    kept = add_host(store, "Hostina Placeholder", "hostina@example.com", "nl", actor="admin")
    add_host(store, "Hubert Host", actor="admin")
    downgrade(store.db.engine, "records", "0005")
    assert "language" not in {c["name"] for c in inspect(store.db.engine).get_columns("hosts")}
    upgrade(store.db.engine, "records")
    assert [(h.name, h.email, h.active, h.language) for h in store.hosts.all()] == [
        ("Hostina Placeholder", "hostina@example.com", True, None),
        ("Hubert Host", None, True, None),
    ]
    with store.db.uow("test") as tx:
        store.hosts.update(tx, kept, language="nl")
    assert store.hosts.all()[0].language == "nl"


def test_the_migrated_schema_is_the_models_schema(store: Repositories) -> None:
    """What the migrations build is what the models describe (tables, columns, types,
    nullability, indexes), for the records and the key store: a model changed without
    its migration fails here."""
    for engine, metadata in (
        (store.db.engine, Base.metadata),
        (store.db.keystore.engine, KeyBase.metadata),
    ):
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    # The other schema's tables, where both share a PostgreSQL database.
                    "include_name": lambda name, kind, _parent, tables=metadata.tables: (
                        kind != "table" or name in tables
                    ),
                },
            )
            assert compare_metadata(context, metadata) == []


def test_documents_come_and_go_with_0007_leaving_the_acceptances(store: Repositories) -> None:
    text = "version: 1\nAn NDA.\n"
    sha = hashlib.sha256(text.encode()).hexdigest()
    document = DocumentText("nda", "en", "1", sha, text)
    nda = NdaSignature("1", "en", sha, visitor(0).name)
    check_in(store, replace(visitor(0), nda=nda, documents=(document,)), actor="test")
    downgrade(store.db.engine, "records", "0006")
    assert "documents" not in inspect(store.db.engine).get_table_names()
    upgrade(store.db.engine, "records")
    assert _counts(store)["nda_acceptances linked"] == 1
    with store.db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ShownDocument)) == 0
