"""The tamper-evident audit trail: `kiosk audit verify|accept-restore|show`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from kiosk.cli.base import Context, Moment, fail, pass_ctx
from kiosk.domain.audit import EventFilter


@click.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@click.option(
    "--witness",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check against this record of the chain's heads: the witness file, or the "
    "syslog server's log (default: [audit] witness when it is a file).",
)
@pass_ctx
def audit_verify(obj: Context, witness: Path | None) -> None:
    """Check the whole chain, the checkpoint kept outside the database, and the witness."""
    witness = witness or obj.services.audit.witness_file()
    result = obj.services.audit.verify(obj.actor, witness)
    if not result.ok:
        hint = (
            " (if the database was restored from a backup: kiosk audit accept-restore)"
            if result.behind_checkpoint
            else ""
        )
        fail(f"audit trail broken after {result.checked} good event(s): {result.problem}{hint}")
    against = f" (and against the witness {witness})" if witness else ""
    click.echo(f"audit trail intact: {result.checked} event(s) checked{against}")


@audit.command("accept-restore")
@pass_ctx
def audit_accept_restore(obj: Context) -> None:
    """After restoring the database from a backup: record the restore in the audit trail
    and move the checkpoint to the restored chain (refused for a broken chain)."""
    accepted = obj.services.audit.accept_restore(obj.actor)
    click.echo(
        f"restore accepted: the checkpoint recorded event {accepted.checkpoint_seq}, the "
        f"restored chain ended at {accepted.chain_seq}; audited as audit.restore_accepted"
    )


@audit.command("show")
@click.option("--from", "start", type=Moment(), help="From this moment (UTC).")
@click.option("--to", "end", type=Moment(), help="Until this moment (UTC).")
@click.option("--actor")
@click.option("--action")
@pass_ctx
def audit_show(
    obj: Context,
    start: datetime | None,
    end: datetime | None,
    actor: str | None,
    action: str | None,
) -> None:
    """List audit events (ids and actions; they never hold personal data)."""

    def utc(d: datetime | None) -> datetime | None:
        return d.replace(tzinfo=UTC) if d and d.tzinfo is None else d

    which = EventFilter(start=utc(start), end=utc(end), actor=actor, action=action)
    found = obj.services.audit.events(obj.actor, which)
    for e in found:
        details = json.dumps(e.details, sort_keys=True) if e.details else ""
        click.echo(
            f"{e.ref:>6}  {e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<16} {e.action:<24} "
            f"{e.object_id or '-'}  {details}".rstrip()
        )
