"""The hosts directory from a real OpenLDAP server (Debian's slapd, started by the test
on free loopback ports with a throw-away configuration): `kiosk hosts sync` adds,
updates and deactivates hosts; a wrong password or an unreachable server is one clear
error and changes nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.app import make_app
from kiosk.config import ConfigError, DirectorySettings, load_settings
from kiosk.domain.hosts import HostEntry, SyncSummary
from kiosk.domain.staff import Actor
from kiosk.services.context import ServiceContext
from kiosk.services.directory import DirectoryError, DirectoryService
from storage.models import AuditEvent
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import cli_settings, kiosk_process
from tests.helpers.kiosk_ui import kiosk_settings, open_services, ready
from tests.helpers.slapd import PEOPLE, READER_DN, READER_PW, Slapd, slapd_missing
from tests.helpers.store import add_host
from tests.helpers.waiting import wait_until

ADMIN = Actor("staff:ada", "admin")


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    reason = slapd_missing()
    if reason:
        pytest.skip(reason)
    server = Slapd(tmp_path / "slapd")
    server.dir.mkdir()
    server.start()
    yield server
    server.stop()


def _directory(store: Repositories, slapd: Slapd, **overrides: object) -> DirectoryService:
    values: dict[str, object] = {
        "url": slapd.ldaps_url,
        "ca_file": slapd.ca_file,
        "bind_dn": READER_DN,
        "password": READER_PW,
        "base_dn": PEOPLE,
        "filter": "(objectClass=inetOrgPerson)",
        "language_attribute": "preferredLanguage",
    }
    values.update(overrides)
    settings = dataclasses.replace(load_settings(), directory=DirectorySettings(**values))  # type: ignore[arg-type]
    return DirectoryService(ServiceContext(store, settings))


def _hosts(store: Repositories) -> dict[str, HostEntry]:
    return {h.name: h for h in store.hosts.all(active_only=False)}


def _syncs(store: Repositories) -> list[dict[str, int]]:
    with store.db.engine.connect() as conn:
        return list(
            conn.execute(
                select(AuditEvent.details)
                .where(AuditEvent.action == "hosts.sync")
                .order_by(AuditEvent.seq)
            ).scalars()
        )


def test_sync_adds_updates_and_deactivates_hosts(store: Repositories, slapd: Slapd) -> None:
    slapd.add_person("ann", "Ann Hostname", "Ann.Hostname@Example.org", "nl-NL")
    slapd.add_person("bob", "Bob Hostname", "bob@example.org")
    slapd.add_person("carl", "Carl Hostname", "carl@example.org")
    hand = add_host(store, "Bob Hostname")  # typed in by reception before the sync
    directory = _directory(store, slapd)

    first = directory.sync(ADMIN)
    assert first == SyncSummary(read=3, added=2, changed=1, deactivated=0, skipped=0)
    hosts = _hosts(store)
    assert hosts["Ann Hostname"].email == "Ann.Hostname@example.org"  # the domain folded
    assert hosts["Ann Hostname"].language == "nl"
    assert hosts["Bob Hostname"].id == hand and hosts["Bob Hostname"].email == "bob@example.org"
    assert all(h.active for h in hosts.values())

    # Ann is renamed and moves to English; Carl leaves; Dora joins.
    slapd.replace("ann", "displayName", "Ann Newname")
    slapd.replace("ann", "preferredLanguage", "en")
    slapd.delete("carl")
    slapd.add_person("dora", "Dora Hostname", "dora@example.org")
    second = directory.sync(ADMIN)
    assert second == SyncSummary(read=3, added=1, changed=1, deactivated=1, skipped=0)
    hosts = _hosts(store)
    assert "Ann Hostname" not in hosts
    ann = hosts["Ann Newname"]
    assert ann.language == "en" and ann.active
    assert not hosts["Carl Hostname"].active  # never deleted: past visits keep the name
    assert hosts["Dora Hostname"].active

    # Nothing changed: nothing to do. Carl comes back: active again.
    assert directory.sync(ADMIN) == SyncSummary(read=3)
    slapd.add_person("carl", "Carl Hostname", "carl@example.org")
    assert directory.sync(ADMIN).changed == 1 and _hosts(store)["Carl Hostname"].active

    # The audit trail holds the counts, never a name or an address.
    syncs = _syncs(store)
    assert syncs[0] == {"read": 3, "added": 2, "changed": 1, "deactivated": 0, "skipped": 0}
    assert len(syncs) == 4
    assert "Hostname" not in json.dumps(syncs) and "example.org" not in json.dumps(syncs)


def test_sync_over_starttls_reads_webhooks_and_skips_a_name_visitors_cannot_tell_apart(
    store: Repositories, slapd: Slapd
) -> None:
    slapd.add_person("ann", "Ann Hostname", "ann@example.org")
    slapd.add_person("ann2", "ANN  HOSTNAME", "ann2@example.org")  # the same to a visitor
    slapd.add_person("eve", "Eve Hostname", "eve@example.org")
    slapd.modify(
        f"dn: uid=eve,{PEOPLE}\nchangetype: modify\nadd: description\n"
        "description: slack https://hooks.example.org/services/T1/B1/X1\n"
    )
    directory = _directory(
        store, slapd, url=slapd.url, starttls=True, webhook_attribute="description"
    )
    summary = directory.sync(ADMIN)
    assert (summary.added, summary.skipped) == (2, 1)
    [ann, eve] = store.hosts.all()
    assert ann.email in ("ann@example.org", "ann2@example.org") and ann.webhook is None
    assert eve.webhook == "slack https://hooks.example.org/services/T1/B1/X1"


@pytest.mark.parametrize("fault", ["wrong password", "server down", "untrusted", "no hosts"])
def test_a_directory_that_cannot_be_read_is_one_clear_error_and_changes_nothing(
    store: Repositories, slapd: Slapd, fault: str
) -> None:
    slapd.add_person("ann", "Ann Hostname", "ann@example.org")
    _directory(store, slapd).sync(ADMIN)
    slapd.delete("ann")  # a sync that worked would deactivate her
    before = _hosts(store)
    overrides: dict[str, object] = {
        "wrong password": {"password": "not-the-password"},
        "server down": {},
        "untrusted": {"ca_file": None},
        "no hosts": {},
    }[fault]  # type: ignore[assignment]
    if fault == "server down":
        slapd.stop()
    expected = {
        "wrong password": "the directory refused the login of directory.bind_dn",
        "server down": f"cannot reach the directory at {slapd.ldaps_url}",
        "untrusted": "cannot reach the directory",
        "no hosts": "the directory listed no hosts",
    }[fault]
    with pytest.raises(DirectoryError) as raised:
        _directory(store, slapd, **overrides).sync(ADMIN)
    message = str(raised.value)
    assert message.startswith(expected) and "nothing was changed" in message.lower()
    assert READER_PW not in message and "not-the-password" not in message
    assert _hosts(store) == before
    assert len(_syncs(store)) == 1


def test_an_ldap_url_without_tls_and_a_password_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[directory]\nurl = "ldap://dc.example.org"\nstarttls = false\n')
    with pytest.raises(ConfigError, match="sent in the clear"):
        load_settings({"KIOSK_CONFIG": str(config)})
    config.write_text('[directory]\nurl = "ldaps://dc.example.org"\npassword = "x"\n')
    with pytest.raises(ConfigError, match="not taken from the file"):
        load_settings({"KIOSK_CONFIG": str(config)})


def test_kiosk_hosts_sync_from_a_timer(
    store: Repositories, store_config: StoreConfig, slapd: Slapd, tmp_path: Path
) -> None:
    slapd.add_person("ann", "Ann Hostname", "ann@example.org")
    secret = tmp_path / "ldap.password"
    secret.write_text(READER_PW + "\n")
    env = cli_settings(store_config, tmp_path) | {
        "KIOSK_DIRECTORY_URL": slapd.url,
        "KIOSK_DIRECTORY_CA_FILE": str(slapd.ca_file),
        "KIOSK_DIRECTORY_BIND_DN": READER_DN,
        "KIOSK_DIRECTORY_PASSWORD_FILE": str(secret),
        "KIOSK_DIRECTORY_BASE_DN": PEOPLE,
    }
    done = kiosk_process(env, "hosts", "sync")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "hosts synced from the directory: 1 read, 1 added, 0 changed, 0 deactivated, 0 skipped"
    )
    refused = kiosk_process(env | {"KIOSK_DIRECTORY_PASSWORD": "wrong"}, "hosts", "sync")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "refused the login" in refused.stderr
    assert [h.name for h in store.hosts.all()] == ["Ann Hostname"]


async def test_the_running_kiosk_syncs_the_hosts_when_it_starts(
    tmp_path: Path, slapd: Slapd
) -> None:
    slapd.add_person("ann", "Ann Hostname", "ann@example.org")
    toml = (
        f'[directory]\nurl = "{slapd.ldaps_url}"\nca_file = "{slapd.ca_file}"\n'
        f'bind_dn = "{READER_DN}"\nbase_dn = "{PEOPLE}"\n'
    )
    settings = kiosk_settings(tmp_path, toml)
    settings = dataclasses.replace(
        settings, directory=dataclasses.replace(settings.directory, password=READER_PW)
    )
    services = open_services(settings)
    async with make_app(services.settings, services=services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await wait_until(lambda: [h.name for h in services.repos.hosts.all()])
    assert [h.name for h in services.repos.hosts.all()] == ["Ann Hostname"]
