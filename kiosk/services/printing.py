"""Handing files to the printer (badges, invitation cards, the evacuation list), and
clearing the spool of printable badges, which hold a first name."""

from __future__ import annotations

import logging
import shlex
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)
SPOOL_MAX_AGE_S = 24 * 3600
PRINT_TIMEOUT_S = 20  # a print command that hangs is given up after this


def print_spooled(command: str, path: Path) -> bool:
    """Send a spooled badge or card to the print command; False (and its kind of failure
    logged, nothing of the visitor's) when the printer did not take it."""
    failure = send_to_printer(command, path)
    if failure:
        log.warning("badge printing failed: %s", failure)
    return failure is None


def badge_path(spool_dir: Path, code: str) -> Path:
    return spool_dir / f"badge-{code}.svg"


def send_to_printer(command: str, path: Path) -> str | None:
    """Run the print command on ``path``: None when it took the file, else the kind of
    failure. Nothing in or out: the app's terminal (or, served to a browser, the stream
    its page is drawn from) is not the command's to write on (lp says "request id is
    ...") or to read keys from."""
    try:
        subprocess.run(
            [*shlex.split(command), str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=PRINT_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return type(exc).__name__
    return None


def clean_spool(spool_dir: Path, now: float | None = None) -> int:
    """Remove printable badges older than a day: they hold a first name."""
    if not spool_dir.is_dir():
        return 0
    cutoff = (now or time.time()) - SPOOL_MAX_AGE_S
    removed = 0
    for path in spool_dir.glob("badge-*.svg"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
