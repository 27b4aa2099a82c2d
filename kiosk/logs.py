"""Where log records go while the kiosk or the console owns the terminal.

A command prints its log records on stderr. A full-screen app cannot: a line written to
the terminal lands over the visitor's screen (a host e-mail retried, a badge printer
away) and stays there until that part is drawn again. So while an app runs, records go
to ``<data_dir>/logs/kiosk.log`` instead, rotated safely among the processes sharing it
(concurrent-log-handler). Like every log record here they hold
kinds of failures and counts, never personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOG_NAME = "kiosk.log"
MAX_BYTES = 1_000_000
BACKUPS = 4  # kiosk.log.1 ... kiosk.log.4
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_file(data_dir: Path) -> Path:
    return data_dir / "logs" / LOG_NAME


@contextmanager
def to_file(data_dir: Path) -> Iterator[Path]:
    """Records of level INFO and up (and Python warnings) go to the log file, none to
    the terminal, until the block ends. A folder that cannot be made drops them rather
    than write over the screen (the app shows its own start-up errors)."""
    path = log_file(data_dir)
    handler: logging.Handler
    try:
        # The data folder first, private as the store makes it (this runs before the
        # store opens; parents=True alone would make it readable by all).
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        handler = _SharedLogFile(path)
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    terminal = [h for h in root.handlers if _writes_to_terminal(h)]
    level = root.level
    for h in terminal:
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    # A record that cannot be written (a full disk) is dropped: logging's own report of
    # it would go to stderr, over the screen.
    raising, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        yield path
    finally:
        logging.raiseExceptions = raising
        logging.captureWarnings(False)
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        for h in terminal:
            root.addHandler(h)


class _SharedLogFile(logging.Handler):
    """The log file, which several processes may share (a kiosk and a console on one
    machine, or textual-serve's process per browser tab). The standard
    RotatingFileHandler rotates per process: a quiet process went on writing into a
    file another had rotated away and deleted. concurrent-log-handler rotates under a
    lock and reopens. It is made at the first record, usually in a worker: its import
    (with portalocker's) would otherwise add to every start before the first frame."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:  # called under self.lock
        if self._file is None:
            # Imported at the first record, not at start: concurrent_log_handler and
            # portalocker cost about 50 ms (python -X importtime), and most runs log nothing.
            from concurrent_log_handler import ConcurrentRotatingFileHandler

            try:
                self._file = ConcurrentRotatingFileHandler(
                    self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                    chmod=0o600,
                )  # fmt: skip
            except OSError:  # as when the folder cannot be made: dropped, not on screen
                self._file = logging.NullHandler()
            self._file.setFormatter(self.formatter)
        self._file.handle(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def _writes_to_terminal(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )
