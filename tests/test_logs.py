"""The log file shared by several kiosk processes on one machine (a kiosk and a console,
or textual-serve's process per browser tab): rotation by one loses no line of another."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.logs import log_file, to_file

ROOT = Path(__file__).resolve().parent.parent

WRITER = """
import logging, sys, time
from pathlib import Path

import pytest
import kiosk.logs
kiosk.logs.MAX_BYTES = 20_000
data, role, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
log = logging.getLogger("kiosk.test")
with kiosk.logs.to_file(data):
    if role == "busy":
        for i in range(3000):
            log.info("busy line %05d %s", i, "x" * 60)
        go.touch()
    else:
        log.warning("quiet process started")
        while not go.exists():
            time.sleep(0.05)
        log.warning("quiet process: a host e-mail could not be sent")
"""


def test_a_quiet_process_keeps_its_lines_while_a_busy_one_rotates(tmp_path: Path) -> None:
    go = tmp_path / "go"
    quiet = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "quiet", str(go)], cwd=ROOT
    )
    log_dir = tmp_path / "logs"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        (log_dir / "kiosk.log").exists() and "started" in (log_dir / "kiosk.log").read_text()
    ):
        time.sleep(0.05)
    busy = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path), "busy", str(go)], cwd=ROOT, timeout=120
    )
    assert busy.returncode == 0
    assert quiet.wait(timeout=30) == 0
    files = sorted(log_dir.glob("kiosk.log*"))
    text = "".join(f.read_text() for f in files if f.is_file())
    assert "quiet process: a host e-mail could not be sent" in text
    assert "busy line 02999" in text
    assert len([f for f in files if f.name.startswith("kiosk.log")]) <= 5  # the log + 4 old


def test_a_log_file_that_cannot_be_written_stays_off_the_screen(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The log's name taken by a folder (or a full disk): records are dropped, the code
    that logged goes on, and nothing reaches the terminal."""
    log_file(tmp_path).mkdir(parents=True)  # kiosk.log is a folder: it cannot be opened
    with to_file(tmp_path):
        logging.getLogger("kiosk.test").warning("a host e-mail could not be sent")
        logging.getLogger("kiosk.test").warning("and another")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_first_start_makes_the_data_folder_private(tmp_path: Path) -> None:
    """The log is set up before the store opens, so on a first start it makes the data
    folder: only the kiosk's user may list it, as when the store makes it."""
    data = tmp_path / "var" / "kiosk"
    with to_file(data) as path:
        pass
    assert data.stat().st_mode & 0o777 == 0o700
    assert path.parent.stat().st_mode & 0o777 == 0o700
