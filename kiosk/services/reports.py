"""Reports for reception and security: visits per day over the last weeks and arrivals
per hour of a day, counted by the database; as charts in the console and as CSV."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext

DEFAULT_DAYS = 28


@dataclass(frozen=True, slots=True)
class Report:
    days: list[tuple[date, int]]  # each day from the first to the last, 0 where none came
    day: date  # the day of the hours
    hours: list[int]  # arrivals in each of its 24 site-local hours


class ReportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def report(self, actor: Actor, days: int = DEFAULT_DAYS, day: date | None = None) -> Report:
        """The last ``days`` days up to ``day`` (default: today), and ``day``'s hours."""
        actor.require("log")
        day = day or self.ctx.today()
        first = day - timedelta(days=days - 1)
        counted = self.repos.reports.per_day(first, day)
        series = [(first + timedelta(days=i), counted.get(first + timedelta(days=i), 0))
                  for i in range(days)]  # fmt: skip
        tz = self.ctx.tz
        # Wall-clock hours: on a day summer time starts or ends, one is 0 or 2 hours long.
        bounds = [datetime.combine(day, time(h), tz) for h in range(24)]
        bounds.append(datetime.combine(day + timedelta(days=1), time(0), tz))
        return Report(series, day, self.repos.reports.per_period(bounds))

    def write_csv(self, report: Report, output: Path, actor: Actor) -> Path:
        """The report as CSV rows (kind, day, hour, visits): a row per day, then a row per
        hour of its day. Never overwrites; audited (counts are no personal data, but
        what leaves the kiosk is recorded)."""
        actor.require("log")
        output.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["kind", "day", "hour", "visits"])
            for day, n in report.days:
                writer.writerow(["day", day.isoformat(), "", n])
            for hour, n in enumerate(report.hours):
                writer.writerow(["hour", report.day.isoformat(), f"{hour:02d}", n])
        with self.repos.db.uow(actor.name) as tx:
            tx.audit(
                "report.export",
                details={"first": report.days[0][0].isoformat(), "days": len(report.days)},
            )
        return output
