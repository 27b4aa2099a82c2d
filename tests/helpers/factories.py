"""Obviously fake visitors for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.domain.visits import NdaSignature, NewVisit, ScreeningOutcome, VisitorType
from storage.open import StoreConfig


def visitor(n: int = 0, **overrides: object) -> NewVisit:
    values: dict[str, object] = {
        "name": f"Zyxwvut Fakename{n:05d}",
        "email": f"zyx.fake{n:05d}@example.invalid",
        "phone": f"+3120555{n % 10000:04d}",
        "company": f"Qwertyco Fictional {n:05d}",
        "visitor_type": VisitorType.GUEST,
        "host_name": "Hostina Placeholder",
        "privacy_version": "test-1",
        "privacy_sha256": "0" * 64,
        "nda": NdaSignature("test-1", "en", "1" * 64, f"Zyxwvut Fakename{n:05d}"),
        "screening": ScreeningOutcome.PASSED,
    }
    values.update(overrides)
    return NewVisit(**values)  # type: ignore[arg-type]


def free_port() -> int:
    """A local TCP port nothing listens on (for a test server, or a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(
    cfg: StoreConfig,
    tmp_path: Path,
    *args: str,
    stdin: str = "",
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``kiosk ARGS`` as a real process on the store ``cfg`` describes (no KIOSK_*
    variable of the caller's leaks in); never a traceback."""
    return kiosk_process(cli_settings(cfg, tmp_path), *args, stdin=stdin, preexec_fn=preexec_fn)


def cli_settings(cfg: StoreConfig, tmp_path: Path) -> dict[str, str]:
    """The KIOSK_* variables of a kiosk process on the store ``cfg`` describes."""
    env = {
        "KIOSK_CONFIG": str(tmp_path / "config.toml"),
        "KIOSK_DATA_DIR": str(cfg.key_file.parent),
        "KIOSK_DATABASE_URL": cfg.database_url,
        "KIOSK_KEYSTORE_URL": cfg.keystore_url,
        "KIOSK_SITE_NAME": cfg.site_name,
        "KIOSK_TIMEZONE": cfg.timezone,
    }
    if cfg.site_id:
        env["KIOSK_SITE_ID"] = cfg.site_id
    return env


def kiosk_process(
    settings: dict[str, str],
    *args: str,
    stdin: str = "",
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``kiosk ARGS`` as a real process with these KIOSK_* (and other) variables, none of
    the caller's KIOSK_* leaking in; never a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")} | settings
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=Path(__file__).parent.parent,
        env=env,
        input=stdin,
        preexec_fn=preexec_fn,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stderr
    return proc
