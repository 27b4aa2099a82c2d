"""Keeping an installation going: `kiosk db upgrade`, `kiosk keys rotate`, `kiosk backup`,
`kiosk status`, `kiosk notify`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.services.bundle import rotate_keys


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@pass_ctx
def upgrade(obj: Context) -> None:
    """Apply the migrations of the records database and the key store."""
    _ = obj.services  # opening migrates
    click.echo("database is up to date")


@click.group()
def keys() -> None:
    """Master key management."""


@keys.command()
@pass_ctx
def rotate(obj: Context) -> None:
    """Re-wrap every data key under a new master key (rows are not re-encrypted)."""
    count = rotate_keys(obj.settings)
    click.echo(f"rotated the master key; re-wrapped {count} data key(s)")
    click.echo(f"back up the new key file now: {obj.settings.resolved_key_file}")


@click.command()
@click.option(
    "--records",
    "records_to",
    type=click.Path(path_type=Path),
    required=True,
    help="A new file, or a folder to put a dated file in.",
)
@click.option(
    "--keystore",
    "keystore_to",
    type=click.Path(path_type=Path),
    help="The same for the key store: another folder than the records'.",
)
@pass_ctx
def backup(obj: Context, records_to: Path, keystore_to: Path | None) -> None:
    """Copy the records and the key store (SQLite) while kiosks keep running."""
    result = obj.services.backup.backup(records_to, obj.actor, keystore_to)
    mb = result.records.size / 1e6
    click.echo(f"records: {result.records.path} ({result.records.rows} visit(s), {mb:.1f} MB)")
    if result.keystore is not None:
        click.echo(f"key store: {result.keystore.path} ({result.keystore.rows} data key(s))")
    else:
        click.echo("key store: not copied (--keystore): the records copy is unreadable without it")
    key_file = obj.settings.resolved_key_file
    click.echo(f"the master key is in neither copy: keep {key_file} safe, apart from both")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def status(obj: Context, fmt: str) -> None:
    """What this installation is doing, and what needs attention (exit 1 if anything)."""
    report = obj.services.status.collect(datetime.now(UTC))
    if fmt == "json":
        click.echo(json.dumps({"ok": report.ok, **report.data, "attention": report.attention}))
        sys.exit(0 if report.ok else 1)
    width = max(len(label) for label, _ in report.facts)
    for label, value in report.facts:
        click.echo(f"{label + ':':<{width + 1}} {value}")
    for line in report.attention:
        click.echo(f"attention: {line}")
    if not report.ok:
        sys.exit(1)


@click.group(invoke_without_command=True)
@click.pass_context
def notify(ctx: click.Context) -> None:
    """Send the host notifications that are due (the running kiosk does this by itself;
    this is for a kiosk that is not running, or cron); `kiosk notify test HOST` tries
    each channel of a host now."""
    if ctx.invoked_subcommand is not None:
        return
    obj = ctx.find_object(Context)
    assert obj is not None
    notifier = obj.services.notify
    if not notifier.on():
        fail(
            "nothing to notify with: notify.smtp_host is not set, and there is no webhook"
            " (notify.webhooks, notify.reception_webhook, kiosk hosts webhook)"
        )
    report = notifier.deliver_due()
    click.echo(f"sent {report.sent}, retrying {report.retrying}, given up {report.given_up}")


@notify.command("test")
@click.argument("host")
@pass_ctx
def notify_test(obj: Context, host: str) -> None:
    """Send HOST (a name in the directory) a test message on each channel now, and say
    how each went (exit 1 when one did not)."""
    found = obj.services.checkin.find_host(host)
    if found is None:
        fail(f"no single active host named {host!r} in the directory (kiosk hosts list)")
    assert found is not None
    results = obj.services.notify.test(found, obj.actor)
    for channel, ok, what in results:
        click.echo(f"{channel}: {'ok' if ok else 'FAILED'} ({what})")
    if not all(ok for _c, ok, _w in results):
        sys.exit(1)
