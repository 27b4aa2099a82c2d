"""Retention periods an admin sets hold for every machine on the database: each kiosk
and console purges by them and tells visitors of them, whatever its own settings file
says; a KIOSK_RETENTION_* variable still pins a period on its machine. On SQLite and on
the real PostgreSQL server (several kiosks share one database there)."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.documents import Terms
from kiosk.documents import load as load_document
from kiosk.domain.staff import SYSTEM, Actor
from kiosk.services.bundle import Services
from kiosk.services.retention import FROM_DATABASE, FROM_SETTINGS
from storage.errors import NotFound
from storage.models import AuditEvent
from storage.open import StoreConfig
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import open_services
from tests.helpers.store import check_in

ADA = Actor("staff:ada", "admin")


def machine_env(store_config: StoreConfig, tmp_path: Path, name: str, toml: str) -> dict[str, str]:
    """The environment of a machine with its own settings file, on the shared database
    (and key store; its key file a copy of the others', as an install would have)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.toml").write_text("site_name = 'Fictional HQ'\n" + toml)
    return {
        "KIOSK_CONFIG": str(folder / "config.toml"),
        "KIOSK_DATA_DIR": str(store_config.key_file.parent),
        "KIOSK_DATABASE_URL": store_config.database_url,
        "KIOSK_KEYSTORE_URL": store_config.keystore_url,
        "KIOSK_KEY_FILE": str(store_config.key_file),
    }


def machine(env: dict[str, str]) -> Services:
    settings: Settings = load_settings(env)
    return open_services(settings)


def test_an_admins_periods_hold_on_every_machine(store_config: StoreConfig, tmp_path: Path) -> None:
    """Desk A (30 days by its file) and lobby kiosk B (20 days by its file) share a
    database. Before, B's hourly purge removed a 25-day-old visit A's admin wanted kept
    and B's notice said 20 days. An admin at A sets 60 days: B, already running, keeps
    the visit, tells visitors 60 days, and a machine started later does the same."""
    desk = machine(machine_env(store_config, tmp_path, "desk", ""))
    lobby = machine(machine_env(store_config, tmp_path, "lobby", "[retention]\nvisit_days = 20\n"))
    visit = check_in(
        desk.repos, visitor(1), actor="test", now=datetime.now(UTC) - timedelta(days=25)
    ).visit_id
    assert lobby.repos.db.retention.visit_days == 20  # its own file, no admin has spoken

    desk.retention.save({"visit_days": "60"}, ADA)
    lobby.retention.purge(
        SYSTEM
    )  # as the kiosk's hourly purge  # the hourly purge: takes the admin's periods first
    assert lobby.repos.visits.get(visit).name == visitor(1).name
    assert lobby.repos.db.retention.visit_days == 60
    terms = Terms.of(lobby.retention.policy, screening=False)
    notice = load_document("privacy", "en", terms).text
    assert "after 60 days" in " ".join(notice.split())

    later = machine(machine_env(store_config, tmp_path, "later", "[retention]\nvisit_days = 7\n"))
    assert later.repos.db.retention.visit_days == 60
    periods = later.retention.in_force()
    assert periods["visit_days"].source == FROM_DATABASE
    assert (periods["nda_days"].days, periods["nda_days"].source) == (730, FROM_SETTINGS)

    # Shortening works the same way: everyone forgets by it.
    later.retention.save({"visit_days": "14"}, ADA)
    lobby.retention.purge(SYSTEM)  # as the kiosk's hourly purge
    with pytest.raises(NotFound):
        desk.repos.visits.get(visit)
    with desk.repos.db.engine.connect() as conn:
        changes = conn.execute(
            select(AuditEvent.details).where(AuditEvent.action == "retention.change")
        ).scalars()
        assert [dict(d) for d in changes] == [{"visit_days": 60}, {"visit_days": 14}]


def test_a_variable_pins_a_period_on_its_machine(
    store_config: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's KIOSK_RETENTION_* variable wins on its machine, and an admin cannot
    change that period from there."""
    desk = machine(machine_env(store_config, tmp_path, "desk", ""))
    desk.retention.save({"visit_days": "60"}, ADA)
    monkeypatch.setenv("KIOSK_RETENTION_VISIT_DAYS", "10")
    env = machine_env(store_config, tmp_path, "pinned", "")
    pinned = machine(env | {"KIOSK_RETENTION_VISIT_DAYS": "10"})
    assert pinned.repos.db.retention.visit_days == 10
    assert pinned.retention.in_force()["visit_days"].source == ("KIOSK_RETENTION_VISIT_DAYS")
    with pytest.raises(ConfigError, match="set by KIOSK_RETENTION_VISIT_DAYS on this machine"):
        pinned.retention.save({"visit_days": "30"}, ADA)
    assert desk.repos.db.retention.visit_days == 60


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_kiosk_retention_show_and_set(store_config: StoreConfig, tmp_path: Path) -> None:
    """The command line for a server without a console: one line per category saying
    where its period comes from; a wrong value is one line on stderr, nothing saved."""
    env = machine_env(store_config, tmp_path, "server", "[retention]\nnda_days = 400\n")

    def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "retention", *args],
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)} | env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    bad = kiosk("set", "visit_days=120")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == "kiosk: error: retention.visit_days = 120 is outside 1..90\n"
    done = kiosk("set", "visit_days=45", "outbox_days=3")
    assert done.returncode == 0 and done.stdout == "visit_days = 45\noutbox_days = 3\n"
    shown = kiosk("show").stdout.splitlines()
    assert shown[0].startswith("visit_days = 45  (set in the database on ")
    assert shown[2] == "nda_days = 400  (the settings file's, or the default)"
    assert shown[3].startswith("outbox_days = 3  (set in the database on ")


def test_a_period_in_a_file_that_an_admin_overrode_is_reported(
    store_config: StoreConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator writes visit_days = 20 into a machine's file after an admin set 60 days
    for the database. The admin's period holds (on every machine alike), so the file has
    no effect; the machine says so when it starts, in its log and on stderr for a
    command, instead of leaving the operator to believe 20 days are in force. A file
    silent on the period, or agreeing with it, says nothing."""
    desk = machine(machine_env(store_config, tmp_path, "desk", ""))
    desk.retention.save({"visit_days": "60"}, ADA)
    caplog.set_level(logging.WARNING)
    toml = "[retention]\nvisit_days = 20\nnda_days = 400\n"
    lobby_env = machine_env(store_config, tmp_path, "lobby", toml)
    assert machine(lobby_env).repos.db.retention.visit_days == 60
    file = tmp_path / "lobby" / "config.toml"
    assert [r.getMessage() for r in caplog.records] == [
        f"retention.visit_days = 20 in {file} is not in force: an admin set 60 days for the "
        "database (see `kiosk retention show`)"
    ]
    caplog.clear()
    machine(machine_env(store_config, tmp_path, "agrees", "[retention]\nvisit_days = 60\n"))
    machine(machine_env(store_config, tmp_path, "silent", ""))
    assert caplog.records == []

    purge = subprocess.run(
        [sys.executable, "-m", "kiosk", "purge", "--dry-run"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)} | lobby_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert purge.returncode == 0, purge.stderr
    assert f"retention.visit_days = 20 in {file} is not in force" in purge.stderr
    assert "visit_days 60" in purge.stdout  # the periods it purged by
