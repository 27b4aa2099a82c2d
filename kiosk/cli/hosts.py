"""The hosts directory: `kiosk hosts add|import|list|webhook|sync`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.domain.registration import ValidationErrors
from kiosk.i18n import LANGUAGES
from kiosk.services.directory import DirectoryError
from kiosk.services.hosts import DuplicateHost, HostFileError


@click.group()
def hosts() -> None:
    """The hosts directory."""


@hosts.command("add")
@click.argument("name")
@click.option("--email", help="Where arrival notifications go.")
@click.option(
    "--language",
    type=click.Choice(sorted(LANGUAGES)),
    help="The language of the host's e-mails (default: notify.language).",
)
@pass_ctx
def hosts_add(obj: Context, name: str, email: str | None, language: str | None) -> None:
    """Add a host."""
    try:
        host_id = obj.services.hosts.add(name, email or "", language or "", obj.actor)
    except DuplicateHost as exc:
        fail(exc.fields["host"], 1)
    except ValidationErrors as exc:
        fail(exc.fields["host"], 2)
    click.echo(f"host {host_id}")


@hosts.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def hosts_import(obj: Context, path: Path) -> None:
    """Import hosts from a CSV file with a header: name[,email][,language].

    A host already in the directory (same name) is updated; an empty e-mail or language
    keeps what it has. The language (en, nl) is that of the host's e-mails; without one
    they go in notify.language."""
    try:
        read, added, updated = obj.services.hosts.import_file(path, obj.actor)
    except HostFileError as exc:
        fail(str(exc), 2)
    click.echo(f"imported {read} host(s): {added} added, {updated} updated")


@hosts.command("list")
@pass_ctx
def hosts_list(obj: Context) -> None:
    """List active hosts."""
    for h in obj.services.hosts.all(obj.actor, active_only=True):
        # A webhook's kind only: its URL is a secret to whoever holds it.
        hook = f"webhook:{h.webhook.split()[0]}" if h.webhook else ""
        click.echo(f"{h.id}  {h.name}  {h.email or ''}  {h.language or ''}  {hook}".rstrip())


@hosts.command("webhook")
@click.argument("host")
@click.argument("webhook", required=False, default="")
@click.option("--remove", is_flag=True, help="Take the host's webhook away.")
@pass_ctx
def hosts_webhook(obj: Context, host: str, webhook: str, remove: bool) -> None:
    """Post HOST's arrival notifications to their own webhook too: WEBHOOK is "FORMAT
    URL", format slack, teams or generic (signed), https only. E.g.:

      kiosk hosts webhook "Ann Host" "slack https://hooks.slack.com/services/..."
    """
    if bool(webhook) == remove:
        fail('give a webhook ("FORMAT URL") or --remove', 2)
    found = obj.services.checkin.find_host(host)
    if found is None:
        fail(f"no single active host named {host!r} in the directory (kiosk hosts list)")
    assert found is not None
    try:
        obj.services.hosts.set_webhook(found.id, webhook, obj.actor)
    except ValidationErrors as exc:
        fail(exc.fields["webhook"], 2)
    click.echo(f"{found.name}: {'webhook removed' if remove else 'webhook set'}")


@hosts.command("sync")
@pass_ctx
def hosts_sync(obj: Context) -> None:
    """Make the hosts what the company directory (LDAP: Active Directory, OpenLDAP) lists,
    by the [directory] settings: add new ones, update changed ones, deactivate those who
    left (never delete). Prints what it did; exit 1, with nothing changed, when the
    directory cannot be read. For a timer (the running kiosk also syncs by itself)."""
    try:
        summary = obj.services.directory.sync(obj.actor)
    except DirectoryError as exc:
        fail(str(exc))
    click.echo(f"hosts synced from the directory: {summary}")
