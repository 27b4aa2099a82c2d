"""Schema migrations keep every row, including the rows that point at rebuilt tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, select

from storage.hosts import HostDirectory
from storage.migrate import HEADS, current_revision, downgrade, upgrade
from storage.models import HealthScreening, NdaAcceptance, OutboxMessage, Visit
from storage.records import ScreeningOutcome
from storage.store import Store
from tests.factories import visitor

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)


def _counts(store: Store) -> dict[str, int]:
    """Rows per table, and the NDA and outbox rows still linked to their visit (their
    foreign keys are ON DELETE SET NULL: a cascade would keep them but cut the link)."""
    with store.engine.connect() as conn:
        counts = {
            m.__tablename__: int(conn.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Visit, NdaAcceptance, HealthScreening, OutboxMessage)
        }
        for m in (NdaAcceptance, OutboxMessage):
            linked = select(func.count()).select_from(m).where(m.visit_id.is_not(None))
            counts[f"{m.__tablename__} linked"] = int(conn.scalar(linked) or 0)
        return counts


def test_day_led_indexes_migrate_both_ways_without_losing_rows(store: Store) -> None:
    codes = [
        store.check_in(
            visitor(i, screening=ScreeningOutcome.PASSED),
            actor="test",
            now=NOW - timedelta(days=i),
        ).badge_code
        for i in range(4)
    ]
    before = _counts(store)
    assert before["visits"] == 4 and before["nda_acceptances linked"] == 4

    # Back to 0003 rebuilds the visits table (SQLite) with the old unique badge column...
    downgrade(store.engine, "records", "0003")
    assert current_revision(store.engine, "records") == "0003"
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("visits")}
    assert "ix_visits_email_bidx" in indexes and "ix_visits_day_email" not in indexes
    # ...and forward again; neither DROP of the old table cascaded into its children.
    upgrade(store.engine, "records")
    assert current_revision(store.engine, "records") == HEADS["records"]
    assert _counts(store) == before
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("visits")}
    assert {"ix_visits_day_badge", "ix_visits_day_email", "ix_visits_day_phone"} <= indexes
    assert "ix_visits_email_bidx" not in indexes

    # The look-ups that now go through the day-led indexes find the same visits.
    assert store.find_person(email=visitor(2).email)[0].name == visitor(2).name
    assert store.find_person(phone=visitor(3).phone)[0].name == visitor(3).name
    for code in codes:
        store.check_out(code, actor="test")
    assert all(v.departed_at for v in store.find_person(email=visitor(0).email))


def test_hosts_keep_their_rows_across_the_language_column(store: Store) -> None:
    """0006 adds hosts.language: hosts from before keep name, e-mail and state, and get
    the site's language (none of their own); downgrading drops only the column."""
    kept = store.add_host("Hostina Placeholder", "hostina@example.com", "nl", actor="admin")
    store.add_host("Hubert Host", actor="admin")
    downgrade(store.engine, "records", "0005")
    assert "language" not in {c["name"] for c in inspect(store.engine).get_columns("hosts")}
    upgrade(store.engine, "records")
    assert [(h.name, h.email, h.active, h.language) for h in store.hosts()] == [
        ("Hostina Placeholder", "hostina@example.com", True, None),
        ("Hubert Host", None, True, None),
    ]
    HostDirectory(store).update(kept, actor="test", language="nl")
    assert store.hosts()[0].language == "nl"
