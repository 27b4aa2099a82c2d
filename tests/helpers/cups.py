"""A real CUPS server for a test: Debian's cupsd with a throw-away configuration on a free
port, and a cups-pdf queue whose "printer" writes each job as a PDF into a folder.

cups-pdf reads its settings only from /etc/cups (cups-pdf-QUEUE.conf for a queue whose
device is cups-pdf:/QUEUE), so the test writes one file there for its own queue name and
removes it afterwards. The server's folders are made readable by the ``lp`` user its
filters run as (pytest's own folders are not).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.helpers.factories import free_port

CUPSD = Path("/usr/sbin/cupsd")
CUPS_PDF = Path("/usr/lib/cups/backend/cups-pdf")
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CONF_DIR = Path("/etc/cups")


def cups_missing() -> str | None:
    """Why a real CUPS cannot run here, or None."""
    for path in (CUPSD, CUPS_PDF, PPD):
        if not path.exists():
            return f"no {path} (apt-get install cups printer-driver-cups-pdf); .ci/run installs it"
    if shutil.which("lp") is None or shutil.which("lpadmin") is None:
        return "no lp or lpadmin (cups-client); .ci/run installs it"
    if not os.access(CONF_DIR, os.W_OK):
        return f"{CONF_DIR} is not writable here (cups-pdf reads its queue's settings there)"
    return None


class CupsServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.queue = f"KIOSKTEST{uuid.uuid4().hex[:8].upper()}"
        self.out = self.root / "out"
        self.conf = CONF_DIR / f"cups-pdf-{self.queue}.conf"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        for sub in ("etc", "spool", "spool/tmp", "cache", "state", "log", "out", "pdfspool"):
            (self.root / sub).mkdir(exist_ok=True)
            (self.root / sub).chmod(0o755)
        (self.root / "out").chmod(0o777)
        (self.root / "etc" / "cupsd.conf").write_text(
            f"Listen {self.address}\nLogLevel warn\nWebInterface No\n"
            # What the README recommends: CUPS keeps no copy of a badge, nor its history.
            "PreserveJobFiles No\nPreserveJobHistory No\nMaxJobTime 60\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        r = self.root
        (r / "etc" / "cups-files.conf").write_text(
            f"ServerRoot {r}/etc\nRequestRoot {r}/spool\nCacheDir {r}/cache\n"
            f"StateDir {r}/state\nTempDir {r}/spool/tmp\nAccessLog {r}/log/access_log\n"
            f"ErrorLog {r}/log/error_log\nPageLog {r}/log/page_log\n"
            "ServerBin /usr/lib/cups\nDataDir /usr/share/cups\nUser lp\nGroup lp\n"
            "SystemGroup root\n"
        )
        self.conf.write_text(
            f"Out {self.out}\nAnonDirName {self.out}\nSpool {r}/pdfspool\nGrp lp\n"
            f"Log {r}/log\nLogType 0\n"
        )

    def lp_env(self) -> dict[str, str]:
        return {"CUPS_SERVER": self.address}

    def admin(self, *args: str) -> None:
        subprocess.run(
            args, env=os.environ | self.lp_env(), check=True, capture_output=True, timeout=30
        )

    def start(self) -> None:
        self._write_config()
        self.proc = subprocess.Popen(
            [str(CUPSD), "-f", "-c", str(self.root / "etc" / "cupsd.conf"),
             "-s", str(self.root / "etc" / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            up = subprocess.run(
                ["lpstat", "-r"], env=os.environ | self.lp_env(), capture_output=True, text=True
            )
            if "is running" in up.stdout:
                break
            if self.proc.poll() is not None:
                raise AssertionError(self.error_log())
            time.sleep(0.2)
        else:
            raise AssertionError("cupsd did not start: " + self.error_log())
        self.admin("lpadmin", "-p", self.queue, "-E", "-v", f"cups-pdf:/{self.queue}",
                   "-P", str(PPD))  # fmt: skip

    def error_log(self) -> str:
        log = self.root / "log" / "error_log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def close(self) -> None:
        self.stop()
        self.conf.unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def printed(self, timeout: float = 30) -> list[Path]:
        """The PDFs the queue's printer wrote, once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = sorted(self.out.rglob("*.pdf"))
            if found:
                time.sleep(0.3)  # written whole
                return found
            time.sleep(0.2)
        return []
