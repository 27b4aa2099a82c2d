"""Fixtures: every test gets its own data dir, config and databases; nothing touches the
user's real files. PostgreSQL tests run against the real server and create their own
databases; without a server they skip (unless KIOSK_REQUIRE_POSTGRES=1, as in CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.cups import CupsServer, cups_missing
from tests.helpers.postgres import PgDatabases, pg_available
from tests.helpers.smtp_server import SmtpServer
from tests.helpers.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    for name in list(os.environ):
        if name.startswith("KIOSK_") and name not in {
            "KIOSK_TEST_PG_URL",
            "KIOSK_REQUIRE_POSTGRES",
            "KIOSK_SCREENSHOTS",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def pg() -> Iterator[PgDatabases]:
    reason = pg_available()
    if reason is not None:
        if os.environ.get("KIOSK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (KIOSK_REQUIRE_POSTGRES=1): {reason}")
        pytest.skip(reason)
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_config(engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StoreConfig:
    data = tmp_path / "data"
    base = StoreConfig(
        database_url=f"sqlite:///{data / 'kiosk.db'}",
        keystore_url=f"sqlite:///{data / 'keystore.db'}",
        key_file=data / "master.key",
        site_name="Test site",
        timezone="Europe/Amsterdam",
    )
    if engine_kind == "postgres":
        pg: PgDatabases = request.getfixturevalue("pg")
        base = replace(
            base,
            database_url=pg.url(pg.create()),
            keystore_url=pg.url(pg.create()),
        )
    return base


@pytest.fixture
def store(store_config: StoreConfig) -> Iterator[Repositories]:
    """The repositories over a fresh records database and key store (SQLite, then the
    PostgreSQL server)."""
    repos = open_repositories(store_config)
    yield repos
    repos.db.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port, for the e-mail tests."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookReceiver]:
    """A real HTTPS server receiving webhooks, its certificate from a throw-away CA the
    kiosk is told to trust (notify.ca_file = receiver.ca_file)."""
    ca = trustme.CA()
    ca_file = tmp_path / "webhook-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = WebhookReceiver(ca, ca_file)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cups() -> Iterator[CupsServer]:
    """A throw-away CUPS server with a cups-pdf queue (tests.helpers.cups)."""
    reason = cups_missing()
    if reason:
        pytest.skip(reason)
    server = CupsServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
