"""A site keeps its identity: renaming it keeps its people and hosts, a typo on a kiosk
sharing the database is refused with the known sites, a new site is added on purpose.
SQLite and PostgreSQL, through the real `kiosk` command."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from storage.migrate import downgrade, upgrade
from storage.open import StoreConfig, open_repositories
from storage.sites import identity_file
from tests.helpers.factories import run_cli, visitor
from tests.helpers.store import add_host, check_in

HOST = "Hostina Placeholder"


def _seed(cfg: StoreConfig) -> str:
    """A first start as cfg's site: one host, one visitor inside; the visitor's name."""
    repos = open_repositories(cfg)
    try:
        host = add_host(repos, HOST, actor="admin")
        visit = visitor(1, host_name=None, host_id=host)
        check_in(repos, visit, actor="test")
        return visit.name
    finally:
        repos.db.dispose()


def _other_kiosk(cfg: StoreConfig, tmp_path: Path, name: str) -> StoreConfig:
    """A second machine on the same databases: a copy of the key file, its own data dir."""
    folder = tmp_path / "kiosk-b"
    folder.mkdir()
    shutil.copy2(cfg.key_file, folder / "master.key")
    return replace(cfg, key_file=folder / "master.key", site_name=name)


def test_renaming_the_site_keeps_its_people_and_hosts(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    name = _seed(store_config)
    assert identity_file(store_config.key_file).read_text().strip() == "test-site"

    renamed = replace(store_config, site_name="Amsterdam HQ")
    onsite = run_cli(renamed, tmp_path, "onsite")
    assert onsite.returncode == 0, onsite.stderr
    assert "On site now: 1" in onsite.stdout and name in onsite.stdout
    hosts = run_cli(renamed, tmp_path, "hosts", "list")
    assert HOST in hosts.stdout
    sites = run_cli(renamed, tmp_path, "site", "list")
    [_, line] = sites.stdout.splitlines()
    assert line.split() == ["*", "test-site", "Amsterdam", "HQ", "1"], sites.stdout
    events = run_cli(renamed, tmp_path, "audit", "show", "--action", "site.rename").stdout
    assert len(events.splitlines()) == 1 and "Amsterdam" not in events

    # Renaming it back works the same way; no second site was ever made.
    back = run_cli(store_config, tmp_path, "site", "list").stdout.splitlines()
    assert len(back) == 2 and back[1].split()[:4] == ["*", "test-site", "Test", "site"]


def test_a_configured_site_id_is_the_site_whatever_its_name(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    name = _seed(store_config)
    # The identity file says nothing when the config names the site.
    identity_file(store_config.key_file).unlink()
    by_id = replace(store_config, site_name="Lobby West", site_id="test-site")
    onsite = run_cli(by_id, tmp_path, "onsite")
    assert onsite.returncode == 0 and name in onsite.stdout
    assert not identity_file(store_config.key_file).exists()
    typo = run_cli(replace(by_id, site_id="tset-site"), tmp_path, "onsite")
    assert typo.returncode == 1 and len(typo.stderr.splitlines()) == 1
    assert "no site id 'tset-site'" in typo.stderr
    assert "test-site ('Lobby West')" in typo.stderr


def test_an_unknown_site_on_a_shared_database_is_refused_until_added(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    _seed(store_config)
    other = _other_kiosk(store_config, tmp_path, "Rotterdm")  # a typo for Rotterdam
    refused = run_cli(other, tmp_path, "onsite")
    assert refused.returncode == 1, refused.stdout
    [line] = refused.stderr.splitlines()
    assert "holds no site 'Rotterdm'" in line
    assert "known sites: test-site ('Test site')" in line and "kiosk site add" in line
    assert not identity_file(other.key_file).exists()

    added = run_cli(other, tmp_path, "site", "add", "Rotterdam", "--id", "rdam")
    assert added.returncode == 0, added.stderr
    assert "added site rdam ('Rotterdam')" in added.stdout
    again = run_cli(other, tmp_path, "site", "add", "Rotterdam")
    assert again.returncode == 1 and "exists already" in again.stderr

    # The second kiosk joins the new site by its name, and keeps its id from then on.
    joined = replace(other, site_name="Rotterdam")
    onsite = run_cli(joined, tmp_path, "onsite")
    assert onsite.returncode == 0 and "On site now: 0" in onsite.stdout
    assert identity_file(other.key_file).read_text().strip() == "rdam"
    listed = run_cli(joined, tmp_path, "site", "list").stdout.splitlines()[1:]
    assert [row.split()[:2] for row in listed] == [["*", "rdam"], ["test-site", "Test"]]
    # The first kiosk still sees its own visitor, and is not renamed by the second.
    assert "On site now: 1" in run_cli(store_config, tmp_path, "onsite").stdout
    # Renaming a site to another site's name is refused, naming both.
    clash = run_cli(replace(joined, site_name="Test site"), tmp_path, "onsite")
    assert clash.returncode == 1
    assert "cannot rename site rdam to 'Test site': site test-site has that name" in clash.stderr


def test_sites_made_before_slugs_get_one_each(store_config: StoreConfig) -> None:
    repos = open_repositories(store_config)
    annex = open_repositories(
        replace(store_config, site_name="Test Site!", site_id="annex"), new_site=True
    )
    annex.db.dispose()
    engine = repos.db.engine
    try:
        downgrade(engine, "records", "0012")
        upgrade(engine, "records")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, slug FROM sites ORDER BY slug")).all()
        assert [tuple(r) for r in rows] == [
            ("Test site", "test-site"),
            ("Test Site!", "test-site-2"),
        ]
    finally:
        repos.db.dispose()
