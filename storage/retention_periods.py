"""Retention periods an admin set for the whole database: rows only. What the periods
may be (the caps) is the kiosk layer's to check before they are saved here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from storage import audit
from storage.engine import db_errors
from storage.models import RetentionPeriod
from storage.store import Store


class RetentionPeriods:
    def __init__(self, store: Store) -> None:
        self.store = store

    def saved(self) -> dict[str, tuple[int, datetime]]:
        """{category: (days, changed at)} of the periods set in the database."""
        with db_errors(), self.store.read_session() as s:
            rows = s.execute(
                select(RetentionPeriod.category, RetentionPeriod.days, RetentionPeriod.changed_at)
            )
            return {category: (days, at) for category, days, at in rows}

    def save(self, changes: Mapping[str, int], *, actor: str) -> None:
        """Set the periods in ``changes`` and audit the change, in one transaction."""
        now = datetime.now(UTC)
        dialect = self.store.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        with db_errors(), self.store.write_session() as s, s.begin():
            for category, days in changes.items():
                stmt = insert(RetentionPeriod).values(category=category, days=days, changed_at=now)
                s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[RetentionPeriod.category],
                        set_={"days": days, "changed_at": now},
                    )
                )
            audit.append(
                s,
                self.store.audit_key,
                at=now,
                actor=actor,
                action="retention.change",
                details=dict(changes),
            )
        self.store.sync_checkpoint()
