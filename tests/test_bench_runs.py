"""The benchmarks still run. Their raw baselines write SQL of their own against our
schema: a migration that changed a table (0008 added a column to the outbox) broke
`make bench` without any test noticing. Tiny sizes, no timing asserted: the figures
come from `make bench`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = (
    "check-in commit rate",
    "day of",
    "find by e-mail",
    "purge of",
    "check-ins meanwhile: longest lock wait",
    "cold start",
    "console search",
    "export rate",
)


def test_every_benchmark_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"BENCH_SCALE": "0.001", "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stdout.split("\n\n")[-1]
    for suite in SUITES:
        assert suite in summary, f"{suite!r} missing from the summary:\n{summary}"
