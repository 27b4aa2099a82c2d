"""The texts visitors were shown: `kiosk documents list|show`."""

from __future__ import annotations

import click

from kiosk.cli.base import Context, pass_ctx


@click.group()
def documents() -> None:
    """The privacy notices and NDAs visitors were shown, kept under their SHA-256."""


@documents.command("list")
@pass_ctx
def documents_list(obj: Context) -> None:
    """Every text shown: kind, language, version, the day it applies from, SHA-256, first
    shown, records citing it; then what changed in that version, when its header says."""
    for d in obj.services.documents.kept():
        effective = d.effective.isoformat() if d.effective else "-"
        click.echo(
            f"{d.kind:<8} {d.language:<3} {d.version:<12} {effective:<10} {d.sha256}  "
            f"{d.first_shown_at:%Y-%m-%d %H:%M} UTC  {d.uses} record(s)"
        )
        if d.changes:
            click.echo(f"    changes: {d.changes}")


@documents.command("show")
@click.argument("sha256")
@pass_ctx
def documents_show(obj: Context, sha256: str) -> None:
    """Print the exact text kept under SHA256 (`| sha256sum` gives SHA256 back): what
    an NDA acceptance or a visit with that hash was shown."""
    click.echo(obj.services.documents.text(sha256), nl=False)
