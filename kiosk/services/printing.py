"""Handing files to the printer (badges, invitation cards, the evacuation list), and
clearing the spool of printable badges, which hold a first name.

A badge goes to a CUPS queue by name (``[printing] printer``) with the label's media
size, titled "Visitor badge" (never the visitor's name), and is followed until CUPS has
finished it: the result says what happened (printed; the printer refused it, and why;
the printer or the print server unreachable), in words that hold nothing personal. The
free-form ``[printing] command`` gets the file's path instead and is trusted on its exit
status. Either way the kiosk's spool copy is removed once the job is over.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

from kiosk.domain.badges import PrintOutcome, PrintResult
from kiosk.domain.labels import Label

log = logging.getLogger(__name__)
SPOOL_MAX_AGE_S = 24 * 3600
PRINT_TIMEOUT_S = 20  # a print command that hangs is given up after this
PRINT_WAIT_S = 30.0  # a CUPS job not printed after this: the printer is unreachable
POLL_S = 0.25
JOB_TITLE = "Visitor badge"
_UNREACHABLE = re.compile(
    r"unable to connect|connection refused|scheduler (is )?not (running|responding)|"
    r"no such file or directory|bad file descriptor|unable to locate|timed out",
    re.IGNORECASE,
)


def badge_path(spool_dir: Path, code: str) -> Path:
    return spool_dir / f"badge-{code}.pdf"


def _run(args: list[str], timeout: float = PRINT_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """A CUPS client command, its messages in English (they are read, not shown)."""
    return subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=os.environ | {"LC_ALL": "C", "LANG": "C"},
    )


def _first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line.removeprefix("lp: ").removeprefix("lpstat: ")[:160]


def _scheduler_down() -> bool:
    """Whether the CUPS server does not answer (lp then says the printer does not exist)."""
    try:
        return "is running" not in _run(["lpstat", "-r"], timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return True


def _refused_by_lp(queue: str, stderr: str) -> PrintResult:
    if _UNREACHABLE.search(stderr) or _scheduler_down():
        return PrintResult(PrintOutcome.UNREACHABLE, "the print server (CUPS) does not answer")
    if "not accepting" in stderr.lower():
        return PrintResult(PrintOutcome.REFUSED, f"printer {queue} is not accepting jobs")
    if "does not exist" in stderr.lower() or "unknown destination" in stderr.lower():
        return PrintResult(PrintOutcome.REFUSED, f"there is no printer {queue} in CUPS")
    return PrintResult(PrintOutcome.REFUSED, _first_line(stderr) or "the print server refused")


def _printer_stopped(queue: str) -> str | None:
    """Why CUPS stopped the queue (its state message), or None while it runs."""
    state = _run(["lpstat", "-l", "-p", queue], timeout=10)
    if " disabled" not in state.stdout:
        return None
    lines = [s.strip() for s in state.stdout.splitlines()[1:] if s.strip()]
    reason = next((s for s in lines if not s.lower().startswith(("form", "content", "alerts"))), "")
    return f"printer {queue} stopped" + (f": {reason[:120]}" if reason else "")


def print_with_cups(
    queue: str, path: Path, label: Label, wait_s: float = PRINT_WAIT_S
) -> PrintResult:
    """Submit ``path`` to the CUPS queue on the label's media and follow the job until
    CUPS has finished it; a job that cannot print is cancelled (nothing left queued)."""
    try:
        submitted = _run(
            ["lp", "-d", queue, "-t", JOB_TITLE, "-o", f"media={label.media}",
             "-o", "job-sheets=none,none", "--", str(path)]
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return PrintResult(PrintOutcome.UNREACHABLE, f"cannot run lp ({type(exc).__name__})")
    if submitted.returncode != 0:
        return _refused_by_lp(queue, submitted.stderr)
    found = re.search(r"request id is (\S+)", submitted.stdout)
    if found is None:
        return PrintResult(PrintOutcome.REFUSED, "lp gave no job id")
    job = found[1]
    deadline = time.monotonic() + wait_s
    try:
        while True:
            pending = _run(["lpstat", "-W", "not-completed", "-o", queue], timeout=10)
            if pending.returncode != 0:  # never taken for "printed": the job is unknown
                _run(["cancel", job], timeout=10)
                if _UNREACHABLE.search(pending.stderr) or _scheduler_down():
                    return PrintResult(
                        PrintOutcome.UNREACHABLE, "the print server stopped answering"
                    )
                return PrintResult(PrintOutcome.REFUSED, _first_line(pending.stderr))
            if not re.search(rf"^{re.escape(job)}\s", pending.stdout, re.MULTILINE):
                stopped = _printer_stopped(queue)
                if stopped:
                    return PrintResult(PrintOutcome.REFUSED, stopped)
                return PrintResult(PrintOutcome.PRINTED)
            stopped = _printer_stopped(queue)
            if stopped:
                _run(["cancel", job], timeout=10)
                return PrintResult(PrintOutcome.REFUSED, stopped)
            if time.monotonic() > deadline:
                _run(["cancel", job], timeout=10)
                return PrintResult(
                    PrintOutcome.UNREACHABLE,
                    f"printer {queue} did not print within {wait_s:g} s (is it on and connected?)",
                )
            time.sleep(POLL_S)
    except (OSError, subprocess.SubprocessError) as exc:
        return PrintResult(PrintOutcome.UNREACHABLE, f"cannot ask CUPS ({type(exc).__name__})")


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
    except subprocess.TimeoutExpired:
        return "the print command did not finish"
    except subprocess.CalledProcessError as exc:
        return f"the print command failed (exit {exc.returncode})"
    except OSError as exc:
        return f"the print command could not run ({type(exc).__name__})"
    return None


def print_file(printer: str, command: str, path: Path, label: Label) -> PrintResult:
    """``path`` to the CUPS queue ``printer``, else to ``command``; then the file is
    removed (it holds a first name). Failures are logged with their reason only."""
    try:
        if printer:
            result = print_with_cups(printer, path, label)
        else:
            failure = send_to_printer(command, path)
            result = (
                PrintResult(PrintOutcome.PRINTED)
                if failure is None
                else PrintResult(PrintOutcome.REFUSED, failure)
            )
    finally:
        path.unlink(missing_ok=True)
    if not result.printed:
        log.warning("badge printing failed: %s: %s", result.outcome, result.reason)
    return result


def clean_spool(spool_dir: Path, now: float | None = None) -> int:
    """Remove printable badges older than a day (left by a crash): they hold a first name."""
    if not spool_dir.is_dir():
        return 0
    cutoff = (now or time.time()) - SPOOL_MAX_AGE_S
    removed = 0
    for path in [*spool_dir.glob("badge-*.pdf"), *spool_dir.glob("badge-*.svg")]:
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
