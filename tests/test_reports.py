"""Reports: visits per day and arrivals per hour, counted by the database, match the log
for a seeded month (SQLite and PostgreSQL); the CSV holds the same counts. The charts'
look is tests/test_console_snapshots.py's."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from pathlib import Path

from kiosk.services.log import arrivals_per_hour
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import check_in, services_over


def test_the_counts_match_the_log_for_a_seeded_month(store: Repositories, tmp_path: Path) -> None:
    services = services_over(store)
    tz, today = services.ctx.tz, services.ctx.today()
    n = 0
    for back in range(35):  # a month and a bit: days 29..34 ago fall outside the report
        day = today - timedelta(days=back)
        for k in range(back % 4 + (3 if back == 0 else 0)):
            at = datetime.combine(day, time(7 + (k * 5) % 12, 10 * k % 60), tz)
            if day == today and at > services.ctx.now():
                at = services.ctx.now() - timedelta(minutes=k + 1)
            check_in(store, visitor(n), now=at)
            n += 1
    # Just before midnight and just after, site-local: each on its own day and hour.
    check_in(store, visitor(n), now=datetime.combine(today - timedelta(days=1), time(23, 59), tz))

    report = services.reports.report(OPERATOR, days=28)
    assert len(report.days) == 28 and report.days[-1][0] == today
    for day, counted in report.days:
        logged = [r for r in services.log.day(day, OPERATOR).rows if r.status != "expected"]
        assert counted == len(logged), day
    assert report.hours == arrivals_per_hour(services.log.day(today, OPERATOR).rows)
    assert sum(n for _d, n in report.days) == sum(b % 4 for b in range(1, 28)) + 3 + 1

    out = services.reports.write_csv(report, tmp_path / "report.csv", OPERATOR)
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["kind", "day", "hour", "visits"]
    assert [(r[1], int(r[3])) for r in rows[1:29]] == [(d.isoformat(), c) for d, c in report.days]
    assert [int(r[3]) for r in rows[29:]] == report.hours


def test_the_report_from_the_command_line(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    services = services_over(store)
    for i in range(3):
        check_in(store, visitor(i), now=services.ctx.now() - timedelta(days=i))
    out = tmp_path / "r.csv"
    done = run_cli(store_config, tmp_path, "report", "--days", "7", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 7 day(s), 3 visit(s) to {out}"
    rows = list(csv.reader(out.open(newline="")))
    assert len(rows) == 1 + 7 + 24 and sum(int(r[3]) for r in rows[1:8]) == 3
    again = run_cli(store_config, tmp_path, "report", "--output", str(out))
    assert again.returncode == 1 and "exists" in again.stderr
