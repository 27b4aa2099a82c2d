"""`kiosk setup` walks a new installation through its first steps: the site's name and
time zone into the config file (the rest of the file kept), the store made, the first
admin, the hosts. Run as a real process, answering on standard input."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.helpers.factories import kiosk_process

ROOT = Path(__file__).resolve().parent.parent
PIN = "481592"


def _kiosk(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return kiosk_process(
        {
            "KIOSK_CONFIG": str(tmp_path / "etc" / "config.toml"),
            "KIOSK_DATA_DIR": str(tmp_path / "data"),
        },
        *args,
        stdin=stdin,
    )


@pytest.fixture
def hosts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.csv"
    path.write_text("name,email,language\nHostina Placeholder,hostina@example.com,nl\n")
    return path


def test_a_first_set_up_asks_and_keeps_the_rest_of_the_config(
    tmp_path: Path, hosts_csv: Path
) -> None:
    config = tmp_path / "etc" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        '# Lobby kiosk, 3rd floor\nphone_region = "BE"\n\n[kiosk]\nidle_seconds = 90\n'
    )
    answers = ["Amsterdam HQ", "Mars/Olympus", "Europe/Amsterdam", "rita", PIN, str(hosts_csv)]
    done = _kiosk(tmp_path, "setup", "--pin-stdin", stdin="\n".join(answers) + "\n")
    assert done.returncode == 0, done.stderr
    assert "'Mars/Olympus' is not a known time zone" in done.stdout  # asked again
    assert "added admin rita" in done.stdout
    assert "imported 1 host(s): 1 added" in done.stdout

    text = config.read_text()
    assert text.startswith("# Lobby kiosk, 3rd floor\n")
    assert tomllib.loads(text) == {
        "phone_region": "BE",
        "site_name": "Amsterdam HQ",
        "timezone": "Europe/Amsterdam",
        "kiosk": {"idle_seconds": 90},
    }
    staff = _kiosk(tmp_path, "staff", "list").stdout
    assert staff.split() == ["rita", "admin"]
    assert (
        "Hostina Placeholder  hostina@example.com  nl" in _kiosk(tmp_path, "hosts", "list").stdout
    )
    sites = _kiosk(tmp_path, "site", "list").stdout.splitlines()
    assert sites[1].split() == ["*", "amsterdam-hq", "Amsterdam", "HQ", "0"]
    assert (tmp_path / "data" / "master.key").stat().st_mode & 0o777 == 0o600


def test_setting_up_again_renames_the_site_and_keeps_the_admins(
    tmp_path: Path, hosts_csv: Path
) -> None:
    first = _kiosk(
        tmp_path, "setup", "--site-name", "Lobby", "--timezone", "Europe/Brussels",
        "--admin", "rita", "--pin-stdin", "--hosts", str(hosts_csv), stdin=PIN + "\n",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = _kiosk(
        tmp_path, "setup", "--site-name", "Lobby West", "--timezone", "Europe/Brussels",
        "--no-hosts",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "admin account(s) exist already: rita" in again.stdout
    sites = _kiosk(tmp_path, "site", "list").stdout.splitlines()
    assert len(sites) == 2 and sites[1].split()[:4] == ["*", "lobby", "Lobby", "West"]
    assert "Hostina Placeholder" in _kiosk(tmp_path, "hosts", "list").stdout


def test_scripted_answers_that_do_not_hold_stop_with_one_line(tmp_path: Path) -> None:
    zone = _kiosk(tmp_path, "setup", "--site-name", "Lobby", "--timezone", "Nowhere/City")
    assert zone.returncode == 2 and zone.stderr.strip().endswith("is not a known time zone")
    weak = _kiosk(
        tmp_path, "setup", "--site-name", "Lobby", "--timezone", "UTC", "--admin", "rita",
        "--pin-stdin", "--no-hosts", stdin="123456\n",
    )  # fmt: skip
    assert weak.returncode == 2 and len(weak.stderr.splitlines()) == 1
    assert _kiosk(tmp_path, "staff", "list").stdout == ""
