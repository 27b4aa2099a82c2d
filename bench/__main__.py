"""Run the benchmarks: `python -m bench [store ...]`. BENCH_SCALE=0.1 for a quick run."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import (
    audit_bench,
    badge_bench,
    console_bench,
    export_bench,
    notify_bench,
    pg_bench,
    pg_concurrent,
    rights_bench,
    startup_bench,
    store_bench,
)
from bench.common import Result

SUITES: dict[str, Callable[[Path], list[Result]]] = {
    "checkin": lambda d: [store_bench.bench_checkin(d)],
    "checkin-watchlist": lambda d: [store_bench.bench_checkin_watchlist(d)],
    "checkin-notify-down": lambda d: [notify_bench.bench_checkin_notify_down(d)],
    "day": store_bench.bench_day,
    "find-purge": store_bench.bench_find_and_purge,
    "cold-start": startup_bench.bench_cold_start,
    "console-search": console_bench.bench_search,
    "export": export_bench.bench_export,
    "audit-verify": audit_bench.bench_audit_verify,
    "badge-screen": badge_bench.bench_badge_screen,
    "rights-export": rights_bench.bench_rights_export,
    "pg-checkin": pg_bench.bench_pg_checkin,
    "pg-day": pg_bench.bench_pg_day,
    "pg-find": pg_bench.bench_pg_find,
    "pg-concurrent": pg_concurrent.bench_pg_concurrent,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    results: list[Result] = []
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"kiosk-bench-{name}-") as tmp:
            print(f"running {name} ...", flush=True)
            for r in SUITES[name](Path(tmp)):
                print(r.line(), flush=True)
                results.append(r)
    print()
    for r in results:
        print(r.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
