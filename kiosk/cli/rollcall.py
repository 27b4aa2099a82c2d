"""The evacuation roll call: `kiosk rollcall start|show|end|report`."""

from __future__ import annotations

import uuid
from pathlib import Path

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.domain.codes import names_record, short_ref
from kiosk.domain.rollcall import RollCallSheet


@click.group("rollcall")
def rollcall() -> None:
    """An evacuation roll call: everyone on site when it starts; marshals mark them safe
    in the console (On site tab) or on a phone (kiosk serve, /rollcall)."""


def _print(sheet: RollCallSheet, obj: Context) -> None:
    tz = obj.services.ctx.tz
    state = f"ended {sheet.ended_at.astimezone(tz):%H:%M}" if sheet.ended_at else "under way"
    started = sheet.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"roll call {short_ref(sheet.id)} started {started} by {sheet.started_by}, {state}:"
        f" {sheet.counts}"
    )
    for e in sheet.entries:
        mark = (f"safe {e.marked_at.astimezone(tz):%H:%M} ({e.marked_by})" if e.marked_at
                else "MISSING")  # fmt: skip
        click.echo(f"  {mark:<28} {e.name}  {e.company}  {e.host}")


def _which(obj: Context, ref: str | None) -> uuid.UUID:
    service = obj.services.rollcall
    if ref is None:
        active = service.active(obj.actor)
        if active is None:
            fail("no roll call is under way (kiosk rollcall start)")
        assert active is not None
        return active
    found = [i for i, *_rest in service.recent(obj.actor) if names_record(ref, i)]
    if len(found) != 1:
        fail(f"no single roll call {ref!r} among the latest (kiosk rollcall show lists them)")
    return found[0]


@rollcall.command("start")
@pass_ctx
def rollcall_start(obj: Context) -> None:
    """Start a roll call of everyone on site now (or show the one under way)."""
    _print(obj.services.rollcall.start(obj.actor), obj)


@rollcall.command("show")
@click.argument("ref", required=False)
@pass_ctx
def rollcall_show(obj: Context, ref: str | None) -> None:
    """The roll call under way (or REF), missing first; without one, the latest."""
    service = obj.services.rollcall
    if ref is None and service.active(obj.actor) is None:
        tz = obj.services.ctx.tz
        for i, started, by, ended in service.recent(obj.actor):
            end = f"ended {ended.astimezone(tz):%H:%M}" if ended else "under way"
            click.echo(f"{short_ref(i)}  {started.astimezone(tz):%Y-%m-%d %H:%M}  {by}  {end}")
        return
    _print(service.sheet(obj.actor, _which(obj, ref)), obj)


@rollcall.command("end")
@pass_ctx
def rollcall_end(obj: Context) -> None:
    """End the roll call under way; its report stays (kiosk rollcall report)."""
    _print(obj.services.rollcall.end(obj.actor, _which(obj, None)), obj)


@rollcall.command("report")
@click.argument("ref")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def rollcall_report(obj: Context, ref: str, output: Path) -> None:
    """Write roll call REF as CSV: everyone, whether and when they were marked, by whom."""
    if output.exists():
        fail(f"{output} exists; choose a new file")
    written = obj.services.rollcall.write_report(obj.actor, _which(obj, ref), output)
    click.echo(f"wrote {written}")
