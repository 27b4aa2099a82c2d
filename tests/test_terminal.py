"""The kiosk and the console in a real terminal (a pty) that is then closed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.helpers.factories import free_port

ROOT = Path(__file__).resolve().parent.parent

# Like `make run`: a session leader that shrugs off the hang-up and waits for its child,
# which the kernel then never signals. The wrapper takes the pty as its controlling
# terminal and writes the app's pid where the test can find it.
WRAPPER = """
import fcntl, signal, subprocess, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGHUP, lambda *_: None)
app = subprocess.Popen([sys.executable, "-m", "kiosk", sys.argv[1]])
open(sys.argv[2], "w").write(str(app.pid))
sys.exit(app.wait())
"""


def _read_until(fd: int, text: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} never appeared on the terminal"
        if select.select([fd], [], [], left)[0]:
            seen += os.read(fd, 65536)
    return seen


def _app_env(tmp_path: Path) -> dict[str, str]:
    """An app's environment in a 100x30 terminal, with its settings and data in
    ``tmp_path`` (config.toml, data/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return env | {
        "KIOSK_CONFIG": str(tmp_path / "config.toml"),
        "KIOSK_DATA_DIR": str(tmp_path / "data"),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }


def _in_pty(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """``args`` started as a session leader on a new pty; returns it and the pty's
    master side (what the terminal shows is read from it; closing it hangs up)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        args,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    return proc, master


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("command", "screen_text"), [("run", b"Welcome"), ("console", b"User name")]
)
def test_closing_the_terminal_stops_the_app(
    command: str, screen_text: bytes, tmp_path: Path
) -> None:
    """Closing the window a kiosk runs in (`make run`, which gets the hang-up and waits)
    stops the kiosk within seconds and lets go of the database; before, it spun on the
    dead terminal at full CPU, holding the database open, until someone killed it."""
    (tmp_path / "config.toml").write_text('site_name = "Terminal test"\n')
    pid_file = tmp_path / "app.pid"
    wrapper, master = _in_pty(
        [sys.executable, "-c", WRAPPER, command, str(pid_file)], _app_env(tmp_path)
    )
    app_pid = 0
    try:
        _read_until(master, screen_text, timeout=60)
        app_pid = int(pid_file.read_text())
        time.sleep(1)  # the database is open by now: the kiosk opens it after its first frame
        os.close(master)  # the window closes
        master = -1
        assert wrapper.wait(timeout=30) == 0
        assert not _alive(app_pid)
        data = tmp_path / "data"
        assert (data / "kiosk.db").exists()
        assert not (data / "kiosk.db-wal").exists()  # closed cleanly
    finally:
        if master >= 0:
            os.close(master)
        for pid in (app_pid, wrapper.pid):
            if pid and _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            wrapper.wait(timeout=5)


def test_log_records_go_to_a_file_not_over_the_visitors_screen(tmp_path: Path) -> None:
    """A host e-mail that cannot go out is logged, and retried. Before, the warning was
    written into the terminal, over the welcome screen, for every visitor to read; now
    it goes to <data_dir>/logs/kiosk.log (a folder only the kiosk's user can read)."""
    env = _app_env(tmp_path)
    closed = free_port()  # nothing listens there
    (tmp_path / "config.toml").write_text(
        f'[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = {closed}\nstarttls = false\n'
    )
    for args in (
        ["hosts", "add", "Hostina Placeholder", "--email", "hostina@example.com"],
        ["checkin", "--name", "Zeb Fakename", "--email", "zeb@example.com",
         "--host", "Hostina Placeholder", "--type", "delivery"],
    ):  # fmt: skip
        subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=ROOT, check=True)
    log_file = tmp_path / "data" / "logs" / "kiosk.log"
    app, master = _in_pty([sys.executable, "-m", "kiosk", "run"], env)
    try:
        screen = _read_until(master, b"Welcome", timeout=60)
        # The kiosk tries the waiting e-mail once its store is open, at start.
        deadline = time.monotonic() + 30
        while b"not sent" not in (log_file.read_bytes() if log_file.exists() else b""):
            assert time.monotonic() < deadline, "the failed e-mail was never logged"
            if select.select([master], [], [], 0.2)[0]:
                screen += os.read(master, 65536)
        time.sleep(0.5)
        while select.select([master], [], [], 0.2)[0]:
            screen += os.read(master, 65536)
    finally:
        os.close(master)
        app.kill()
        app.wait(timeout=10)
    logged = log_file.read_text()
    warning = "WARNING kiosk.services.notify: host_arrival e-mail not sent (ConnectionRefusedError)"
    assert warning in logged
    assert "hostina" not in logged.lower() and "Zeb" not in logged
    assert b"not sent" not in screen and b"WARNING" not in screen
    assert (log_file.parent.stat().st_mode & 0o777) == 0o700


def _sessions(data_dir: Path) -> list[int]:
    """The pids of the kiosk processes (`kiosk run`) working on ``data_dir``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or b"kiosk\0run" not in (proc / "cmdline").read_bytes():
                continue
            if f"KIOSK_DATA_DIR={data_dir}".encode() in (proc / "environ").read_bytes().split(
                b"\0"
            ):
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_browser_sessions_kiosk_stops_when_its_server_is_gone(tmp_path: Path) -> None:
    """`kiosk serve` starts a kiosk for each browser session. Killed (or crashed, or
    restarted by a service manager that does not wait), the server cannot close them:
    each session's kiosk ran on with nobody to see it, holding the database and running
    its timers, one more with every restart. Now it stops within seconds."""
    (tmp_path / "config.toml").write_text('site_name = "Serve test"\n')
    data = tmp_path / "data"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "serve", "--port", str(port)],
        cwd=ROOT,
        env=_app_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sessions: list[int] = []

    async def a_session_then_the_server_killed() -> None:
        async with aiohttp.ClientSession() as client:
            deadline = time.monotonic() + 60
            while True:  # until the server listens
                try:
                    ws = await client.ws_connect(
                        f"http://127.0.0.1:{port}/ws?width=80&height=24",
                        headers={"Origin": f"http://127.0.0.1:{port}"},  # its own page
                    )
                    break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "kiosk serve never listened"
                    await asyncio.sleep(0.2)
            drawn = b""
            while b"Welcome" not in drawn:  # the session's kiosk draws its welcome screen
                message = await asyncio.wait_for(ws.receive(), timeout=60)
                assert message.type is aiohttp.WSMsgType.BINARY, message
                drawn += message.data
            sessions.extend(_sessions(data))
            assert len(sessions) == 1, sessions
            time.sleep(1)  # the database is open by now
            server.kill()  # while the session is open
            server.wait(timeout=10)

    try:
        asyncio.run(a_session_then_the_server_killed())
        deadline = time.monotonic() + 15
        while _alive(sessions[0]):
            assert time.monotonic() < deadline, "the session's kiosk outlived its server"
            time.sleep(0.1)
        assert not (data / "kiosk.db-wal").exists()  # it closed the database cleanly
    finally:
        for pid in [server.pid, *sessions, *_sessions(data)]:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=5)
