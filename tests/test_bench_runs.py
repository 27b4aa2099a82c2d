"""The benchmarks still run. Their raw baselines write SQL of their own against our
schema: a migration that changed a table (0008 added a column to the outbox) broke
`make bench` without any test noticing. Tiny sizes, no timing asserted: the figures
come from `make bench`. In groups, so that the suite's processes share them out (all
of them in one process took two minutes at the end of the suite)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import SUITES as BENCHES

ROOT = Path(__file__).resolve().parent.parent
# Each group's benchmarks, and what its summary must name.
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "check-in": (
        ("checkin", "checkin-watchlist", "checkin-notify-down", "day"),
        ("check-in commit rate", "watchlist entries", "SMTP + webhooks down", "day of"),
    ),
    "find-purge": (
        ("find-purge",),
        ("find by e-mail", "purge of", "check-ins meanwhile: longest lock wait"),
    ),
    "cold-start": (("cold-start",), ("cold start",)),
    "console-search": (("console-search",), ("console search",)),
    "badge-screen": (("badge-screen",), ()),
    "records": (("export", "audit-verify", "rights-export"), ("export rate",)),
    "postgresql": (("pg-checkin", "pg-day", "pg-find"), ("PostgreSQL check-in commit rate",)),
    "postgresql-8": (("pg-concurrent",), ("kiosks at once", "during a purge")),
}


def test_the_groups_hold_every_benchmark() -> None:
    grouped = [name for names, _said in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(BENCHES)


@pytest.mark.parametrize("group", list(GROUPS))
def test_every_benchmark_runs_at_a_tiny_scale(tmp_path: Path, group: str) -> None:
    names, said = GROUPS[group]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"BENCH_SCALE": "0.001", "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", *names],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stdout.split("\n\n")[-1]
    for suite in said:
        assert suite in summary, f"{suite!r} missing from the summary:\n{summary}"
