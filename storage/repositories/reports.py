"""Counts for the console's reports, computed by the database (no visit is decrypted):
visits per day, and arrivals per hour of a day."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from sqlalchemy import and_, case, func, select

from storage.database import Database
from storage.engine import db_errors
from storage.models import Visit


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def per_day(self, first: date, last: date) -> dict[date, int]:
        """Visits of this site that arrived on each site-local day from ``first`` to
        ``last`` (days without any are absent)."""
        stmt = (
            select(Visit.local_day, func.count())
            .where(
                Visit.site_id == self.db.site_id,
                Visit.local_day >= first,
                Visit.local_day <= last,
            )
            .group_by(Visit.local_day)
        )
        with db_errors(), self.db.read_connection() as conn:
            return {day: int(n) for day, n in conn.execute(stmt)}

    def per_period(self, bounds: list[datetime]) -> list[int]:
        """Arrivals of this site in each period [bounds[i], bounds[i+1]) (the hours of a
        site-local day, given as moments: exact across a change of summer time)."""
        if len(bounds) < 2:
            return []
        counts = [
            func.sum(case((and_(Visit.arrived_at >= lo, Visit.arrived_at < hi), 1), else_=0))
            for lo, hi in itertools.pairwise(bounds)
        ]
        stmt = select(*counts).where(
            Visit.site_id == self.db.site_id,
            Visit.arrived_at >= bounds[0],
            Visit.arrived_at < bounds[-1],
        )
        with db_errors(), self.db.read_connection() as conn:
            row = conn.execute(stmt).one()
        return [int(n or 0) for n in row]
