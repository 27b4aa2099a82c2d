"""Fixtures: every test gets its own data dir, config and databases; nothing touches the
user's real files. PostgreSQL tests run against the real server and create their own
databases; without a server they skip (unless KIOSK_REQUIRE_POSTGRES=1, as in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from storage.open import StoreConfig, open_store
from storage.store import Store
from tests.smtp_server import SmtpServer

PG_ADMIN_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    for name in list(os.environ):
        if name.startswith("KIOSK_") and name not in {
            "KIOSK_TEST_PG_URL",
            "KIOSK_REQUIRE_POSTGRES",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))


def _pg_available() -> str | None:
    """None if the server answers, else the reason it does not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {PG_ADMIN_URL} ({type(exc).__name__})"


class PgDatabases:
    """Creates throw-away databases on the real server and drops them afterwards."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self, template: str | None = None) -> str:
        import psycopg

        name = f"kiosk_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            if template:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            else:
                conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return name

    def url(self, name: str) -> str:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        return f"{base}/{name}"

    def allow_connections(self, name: str, allowed: bool) -> None:
        """Open or shut the server's door to one database; shutting it also ends the
        connections already open (as a server restart or a network cut would)."""
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg() -> Iterator[PgDatabases]:
    reason = _pg_available()
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
def store(store_config: StoreConfig) -> Iterator[Store]:
    s = open_store(store_config)
    yield s
    s.engine.dispose()
    s.keystore.engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port, for the e-mail tests."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
