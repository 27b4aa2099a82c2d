"""`kiosk setup`: a new installation's first steps, asked one by one.

The site's name and time zone go into the config file (other lines and comments kept);
the store is made (key file, databases, the site); the first admin account gets its PIN;
the hosts come from a CSV file. Every answer can be given as an option instead, so the
same command scripts an installation.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.cli.staff import read_pin
from kiosk.config import ConfigError, check_settings, config_path, write_top_level
from kiosk.services.errors import PinPolicyError
from kiosk.services.hosts import HostFileError


def _ask(question: str, default: str, given: str | None, check: Callable[[str], None]) -> str:
    """``given``, or the answer to ``question``, asked again while ``check`` refuses it."""
    while True:
        value = given if given is not None else str(click.prompt(question, default=default))
        try:
            check(value)
            return value
        except ConfigError as exc:
            if given is not None:
                fail(str(exc), 2)
            click.echo(f"  {exc}")


def _ask_settings(obj: Context, site_name: str | None, timezone: str | None) -> None:
    """The site's name and time zone, checked, written to the config file."""
    path = config_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# The kiosk's settings: see docs/configuration.md.\n")
    now = obj.settings
    name = _ask(
        "Site name, as visitors see it",
        now.site_name,
        site_name,
        lambda v: check_settings(dataclasses.replace(now, site_name=v)),
    )
    zone = _ask(
        "Time zone (decides what 'today' is), e.g. Europe/Amsterdam",
        now.timezone,
        timezone,
        lambda v: check_settings(dataclasses.replace(now, timezone=v)),
    )
    write_top_level(path, {"site_name": name, "timezone": zone})
    click.echo(f"settings written to {path}")
    for key in ("KIOSK_SITE_NAME", "KIOSK_TIMEZONE"):
        if os.environ.get(key):
            click.echo(f"  note: {key} in the environment overrides the file", err=True)
    obj.reload_settings()


def _first_admin(obj: Context, admin: str | None, pin_stdin: bool) -> None:
    staff = obj.services.staff
    admins = [a.username for a in staff.accounts(obj.actor) if a.role == "admin"]
    if admins:
        click.echo(f"admin account(s) exist already: {', '.join(admins)}")
        return
    for _ in range(3):
        username = admin or click.prompt("The first admin's username (e.g. their first name)")
        pin = read_pin(pin_stdin)
        try:
            staff.add(username, "admin", pin, obj.actor)
        except PinPolicyError as exc:
            if admin and pin_stdin:
                fail(str(exc), 2)
            click.echo(f"  {exc}")
            continue
        click.echo(f"added admin {username}: they log in with F12 at the kiosk, or the console")
        return
    fail("no admin account was added; run kiosk setup again", 2)


def _hosts(obj: Context, hosts: Path | None, ask: bool) -> None:
    if hosts is None and ask:
        answer = click.prompt(
            "A CSV file of hosts to import (name,email,language; empty: later)",
            default="",
            show_default=False,
        )
        hosts = Path(answer).expanduser() if answer.strip() else None
    if hosts is None:
        click.echo("hosts: none imported (later: kiosk hosts import FILE, or the console)")
        return
    try:
        read, added, updated = obj.services.hosts.import_file(hosts, obj.actor)
    except (HostFileError, OSError) as exc:
        fail(f"hosts: {exc}", 2)
    click.echo(f"imported {read} host(s): {added} added, {updated} updated")


@click.command()
@click.option("--site-name", help="The site's name, as visitors see it.")
@click.option("--timezone", help="The site's IANA time zone, e.g. Europe/Amsterdam.")
@click.option("--admin", help="The first admin's username (when there is no admin yet).")
@click.option("--pin-stdin", is_flag=True, help="Read the admin's PIN from standard input.")
@click.option(
    "--hosts",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV file of hosts to import.",
)
@click.option("--no-hosts", is_flag=True, help="Do not ask for a hosts file.")
@pass_ctx
def setup(
    obj: Context,
    site_name: str | None,
    timezone: str | None,
    admin: str | None,
    pin_stdin: bool,
    hosts: Path | None,
    no_hosts: bool,
) -> None:
    """Set up this kiosk: site name, time zone, first admin, hosts (asks what is missing)."""
    _ask_settings(obj, site_name, timezone)
    _ = obj.services  # the key file, the databases and the site, made or renamed
    settings = obj.settings
    click.echo(f"data in {settings.data_dir} (key file {settings.resolved_key_file})")
    _first_admin(obj, admin, pin_stdin)
    _hosts(obj, hosts, ask=not no_hosts)
    click.echo("ready: kiosk run (the lobby), kiosk console (reception), kiosk serve (tablets)")
    click.echo("back up the key file now, away from this machine: without it nothing reads")
