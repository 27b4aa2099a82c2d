"""Issue 3 benchmark: cold start of the kiosk to its first interactive frame, against a
minimal Textual app measured the same way in the same run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import SCALE, Result

ROOT = Path(__file__).resolve().parent.parent


def _once(mode: str, env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds to the first interactive frame, and to the store being open."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.startup_probe", mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    frame = proc.stdout.readline()
    t_frame = time.perf_counter() - t0
    ready = proc.stdout.readline()
    t_ready = time.perf_counter() - t0
    proc.wait(timeout=30)
    assert (frame.strip(), ready.strip()) == ("frame", "ready"), (
        proc.stderr.read() if proc.stderr else ""
    )
    return t_frame * 1e3, t_ready * 1e3


def bench_cold_start(folder: Path, rounds: int = max(2, round(9 * SCALE))) -> list[Result]:
    config = folder / "kiosk.toml"
    config.write_text("")
    env = os.environ | {"KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(folder / "data")}
    _once("kiosk", env)  # first run creates the database and key: not a cold start
    kiosk, minimal = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        minimal.append(_once("minimal", env)[0])
        kiosk.append(_once("kiosk", env))
    base = statistics.median(minimal)
    frame = statistics.median(k[0] for k in kiosk)
    store = statistics.median(k[1] for k in kiosk)
    return [
        Result(
            "cold start to first interactive frame",
            frame,
            "ms",
            base,
            frame / base,
            "ratio <= 2",
            frame / base <= 2,
        ),
        Result(
            "cold start until the store is open",
            store,
            "ms",
            base,
            store / base,
            "(information)",
            True,
        ),
    ]
