"""Throw-away databases on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import psycopg

PG_ADMIN_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_available() -> str | None:
    """None if the server answers, else the reason it does not."""

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
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    def drop_all(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
