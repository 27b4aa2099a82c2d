"""Throw-away PostgreSQL clusters of their own, for the failover test: a primary made
with initdb and a synchronous standby made from it with pg_basebackup -R, on free
loopback ports, run as the postgres user (initdb refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.helpers.factories import free_port

STANDBY_NAME = "standby1"


def pg_bin() -> Path | None:
    """The newest installed server's binaries (Debian: /usr/lib/postgresql/N/bin)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def clusters_missing() -> str | None:
    """Why two clusters cannot be made here, or None."""
    if pg_bin() is None:
        return "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root with no postgres user to run initdb as"
    return None


class Cluster:
    def __init__(self, root: Path, name: str) -> None:
        self.dir = root / name
        self.port = free_port()
        self.log = root / f"{name}.log"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """A server tool, as the postgres user when we are root."""
        bin_dir = pg_bin()
        assert bin_dir is not None
        command = [str(bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    def configure(self, **settings: str) -> None:
        with (self.dir / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "stop")

    def promote(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir), "-w", "-t", "60", "promote")

    def running(self) -> bool:
        try:
            self.run("pg_ctl", "-D", str(self.dir), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class PrimaryAndStandby:
    """A primary and its synchronous standby (streaming, hot standby)."""

    def __init__(self) -> None:
        # Under /tmp (the postgres user must reach it; pytest's folders are root's own).
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-failover-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary = Cluster(self.root, "primary")
        self.standby = Cluster(self.root, "standby")

    def start(self, databases: tuple[str, ...]) -> None:
        p = self.primary
        p.run("initdb", "-D", str(p.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        p.configure(
            port=str(p.port),
            listen_addresses="127.0.0.1",
            unix_socket_directories=str(self.root),
            wal_level="replica",
            max_wal_senders="4",
        )
        p.start()
        admin = f"postgresql://postgres@127.0.0.1:{p.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in databases:
                conn.execute(f'CREATE DATABASE "{name}"')
        s = self.standby
        conninfo = f"host=127.0.0.1 port={p.port} user=postgres application_name={STANDBY_NAME}"
        s.run("pg_basebackup", "-d", conninfo, "-D", str(s.dir), "-R", "-X", "stream", "-c", "fast")
        s.configure(port=str(s.port), hot_standby="on")
        s.start()
        with psycopg.connect(admin, autocommit=True) as conn:  # synchronous from here on
            # (set before the standby is there, every commit would wait for it)
            conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
            conn.execute("SELECT pg_reload_conf()")
            for _ in range(100):
                row = conn.execute(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s",
                    (STANDBY_NAME,),
                ).fetchone()
                if row and row[0] == "sync":
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("the standby did not become synchronous")

    def multi_host_url(self, database: str) -> str:
        """Both servers; libpq connects to whichever accepts writes."""
        return (
            f"postgresql+psycopg://postgres@/{database}?host=127.0.0.1:{self.primary.port}"
            f"&host=127.0.0.1:{self.standby.port}&target_session_attrs=read-write"
        )

    def remove(self) -> None:
        for cluster in (self.primary, self.standby):
            if cluster.dir.exists() and cluster.running():
                cluster.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
