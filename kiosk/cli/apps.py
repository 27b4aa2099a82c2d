"""The apps: `kiosk run` (the visitor kiosk, the default), `kiosk console` (reception),
`kiosk serve` (the kiosk in a lobby tablet's browser)."""

from __future__ import annotations

import errno
import os
import shlex
import socket
import sys

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.services.bundle import check_storage_paths

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@click.command()
@click.option("--served", is_flag=True, hidden=True, help="A session of kiosk serve.")
@pass_ctx
def run(obj: Context, served: bool) -> None:
    """Open the visitor kiosk (the default command)."""
    # Imported here: Textual and the screens (about 110 ms, python -X importtime) are for
    # the apps only, not for every scripting command.
    from kiosk.app import run_kiosk

    check_storage_paths(obj.settings)  # in one line here, not on the visitor's screen
    # A served session opens the store kiosk serve has migrated already: sessions
    # starting together never race each other through the migrations.
    run_kiosk(obj.settings, migrate=not served)


def listen_problem(host: str, port: int) -> str | None:
    """Why ``kiosk serve`` could not listen on ``host:port``, in one line (None: it can):
    tried with a socket of its own, as the server would bind it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"cannot listen on {host}:{port}: no such address"
    family, _, _, _, address = infos[0]
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        reason = {
            errno.EADDRINUSE: "the port is in use (another kiosk serve, or another server)",
            errno.EADDRNOTAVAIL: "this machine has no such address",
            errno.EACCES: "permission denied (ports below 1024 need privileges)",
        }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return f"cannot listen on {host}:{port}: {reason}"
    return None


@click.command()
@pass_ctx
def console(obj: Context) -> None:
    """Open the reception console (staff log in with their PIN)."""
    from kiosk.app import run_console  # Textual and the screens: see run

    check_storage_paths(obj.settings)
    run_console(obj.settings)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-network",
    is_flag=True,
    help="Allow a non-loopback --host (put a TLS reverse proxy in front of it).",
)
@click.option(
    "--public-url",
    default=None,
    help="The address tablets open (https://... behind the TLS proxy); only pages of it "
    "may open a session. Default: [serve] public_url, else the address asked for.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address of the reverse proxy whose X-Forwarded-Host/-Proto are believed "
    "(repeatable; default: [serve] trusted_proxies).",
)
@click.option(
    "--max-sessions",
    type=click.IntRange(1, 64),
    default=None,
    help="Browser sessions at once (default: [serve] max_sessions, 8).",
)
@click.option(
    "--allow-console",
    is_flag=True,
    help="Let staff open the reception console from a served tablet (default: no).",
)
@pass_ctx
def serve(
    obj: Context,
    host: str,
    port: int,
    allow_network: bool,
    public_url: str | None,
    trusted_proxies: tuple[str, ...],
    max_sessions: int | None,
    allow_console: bool,
) -> None:
    """Serve the visitor kiosk to a browser (the lobby tablet), with textual-serve."""
    if host not in LOOPBACK and not allow_network:
        fail(f"{host} is not a loopback address; add --allow-network to serve on it", 2)
    problem = listen_problem(host, port)
    if problem:  # before anything says "Serving"
        fail(problem, 2)
    _ = obj.services  # check the key and migrate now, not in the first visitor's session
    if host not in LOOPBACK:
        click.echo(
            "kiosk: warning: serving on the network without TLS; put this behind a TLS "
            "reverse proxy (docs/installation.md) before a tablet uses it",
            err=True,
        )
    # Imported here: textual-serve and aiohttp (about 130 ms, python -X importtime) serve
    # this command only.
    from kiosk.web.server import KioskServer, PageBrand, networks

    settings = obj.settings.serve
    public = public_url if public_url is not None else settings.public_url
    if public and not public.startswith(("http://", "https://")):
        fail(f"--public-url must start with https:// (or http://): {public!r}", 2)
    proxies = trusted_proxies or settings.trusted_proxies
    try:
        networks(proxies)
    except ValueError as exc:
        fail(f"--trusted-proxy: {exc}", 2)
    if allow_console:  # the sessions' own processes read it as [serve] allow_console
        os.environ["KIOSK_SERVE_ALLOW_CONSOLE"] = "true"
    server = KioskServer(
        shlex.join([sys.executable, "-m", "kiosk", "run", "--served"]),
        host=host,
        port=port,
        title=obj.settings.site_name,
        public_url=public,
        max_sessions=max_sessions or settings.max_sessions,
        trusted_proxies=proxies,
        brand=PageBrand.of(obj.settings),
        settings=obj.settings,
    )
    server.serve()
