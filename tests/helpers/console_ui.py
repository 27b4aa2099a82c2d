"""Helpers for driving the reception console with Pilot."""

from __future__ import annotations

from sqlalchemy import select
from textual.pilot import Pilot

from kiosk.services.bundle import Services
from screens.console.table import VisitTable
from storage.models import AuditEvent
from tests.helpers.waiting import wait_until


async def rows_shown(pilot: Pilot[None], expected: int, timeout: float = 8.0) -> list[str]:
    """The names in the log once it shows ``expected`` rows (or as it is at the timeout)."""
    table = pilot.app.screen.query_one("#visits", VisitTable)
    await wait_until(lambda: len(table.rows), expected.__eq__, timeout=timeout)
    return [r.name for r in table.rows]


async def names_shown(pilot: Pilot[None], names: list[str], timeout: float = 8.0) -> list[str]:
    """The names in the log once they are ``names`` (or as they are at the timeout)."""
    table = pilot.app.screen.query_one("#visits", VisitTable)
    return await wait_until(lambda: [r.name for r in table.rows], names.__eq__, timeout=timeout)


def audit_actions(services: Services) -> list[tuple[str, str]]:
    """Every audit event as (actor, action), oldest first."""
    with services.repos.db.engine.connect() as conn:
        query = select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.seq)
        return [(actor, action) for actor, action in conn.execute(query)]
