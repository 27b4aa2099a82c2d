"""Installing it like a service: the systemd units in deploy/ pass systemd's own checks,
and a start without rights on the data folder says so in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.factories import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/kiosk/bin/kiosk"  # where docs/installation.md installs it
ANALYZE = shutil.which("systemd-analyze")

needs_systemd_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="no systemd-analyze on this machine (Debian: package systemd)"
)


@pytest.fixture
def units(tmp_path: Path) -> list[Path]:
    """The shipped units, with this checkout's kiosk where docs/installation.md installs it
    (systemd checks that the command exists and runs)."""
    kiosk = Path(sys.executable).with_name("kiosk")
    assert kiosk.exists(), "the kiosk command is not installed in this environment"
    copies = []
    for unit in sorted(DEPLOY.glob("kiosk-*")):
        text = unit.read_text()
        if unit.suffix == ".service":
            assert INSTALLED in text
        copy = tmp_path / unit.name
        copy.write_text(text.replace(INSTALLED, str(kiosk)))
        copies.append(copy)
    return copies


@needs_systemd_analyze
def test_the_units_pass_systemd_analyze_verify(units: list[Path]) -> None:
    names = {u.name for u in units}
    assert names == {
        "kiosk-serve.service",
        "kiosk-purge.service",
        "kiosk-purge.timer",
        "kiosk-backup.service",
        "kiosk-backup.timer",
        "kiosk-hosts-sync.service",
        "kiosk-hosts-sync.timer",
    }
    checked = subprocess.run(
        [str(ANALYZE), "verify", *map(str, units)],
        capture_output=True,
        text=True,
        check=False,
        cwd=units[0].parent,
    )
    # Not even a warning: an unknown or misspelt setting is only warned about.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


@needs_systemd_analyze
def test_the_services_are_hardened(units: list[Path]) -> None:
    """A user of its own, ProtectSystem=strict, NoNewPrivileges, PrivateTmp and the rest: the
    exposure systemd computes stays in its "OK" band (at most 2.0 of 10)."""
    for unit in (u for u in units if u.suffix == ".service"):
        text = unit.read_text()
        for setting in (
            "User=kiosk",
            "ProtectSystem=strict",
            "StateDirectory=kiosk",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
        ):
            assert setting in text, f"{unit.name}: {setting}"
        scored = subprocess.run(
            [str(ANALYZE), "security", "--offline=yes", "--threshold=20", str(unit)],
            capture_output=True,
            text=True,
            check=False,
            cwd=unit.parent,
        )
        assert scored.returncode == 0, scored.stdout[-300:]


def _as_a_user_without_rights(command: list[str]) -> list[str]:
    """``command`` run without the power to ignore file permissions (root keeps its
    uid but loses CAP_DAC_OVERRIDE), so a folder's mode applies as to any user."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): permissions do not apply")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *command]


@pytest.mark.parametrize(
    ("mode", "says"),
    [(0o555, "is not writable by user"), (0o000, "cannot be entered by user")],
)
@pytest.mark.parametrize("command", ["run", "console", "onsite", "serve"])
def test_a_data_folder_without_rights_stops_the_start_in_one_line(
    tmp_path: Path, mode: int, says: str, command: str
) -> None:
    args = [command, "--port", str(free_port())] if command == "serve" else [command]
    folder = tmp_path / "data"
    folder.mkdir()
    (tmp_path / "config.toml").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"KIOSK_CONFIG": str(tmp_path / "config.toml"), "KIOSK_DATA_DIR": str(folder / "in")}
    folder.chmod(mode)
    try:
        started = subprocess.run(
            _as_a_user_without_rights([sys.executable, "-m", "kiosk", *args]),
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        folder.chmod(0o700)
    assert started.returncode == 1, started.stdout[-500:]
    [line] = started.stderr.splitlines()
    assert line.startswith(f"kiosk: error: permission denied: {folder}") and says in line
    assert not (folder / "in").exists()
