"""Access records for security: `kiosk export`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.progress import Progress

from kiosk.cli.base import Context, Day, fail, pass_ctx
from kiosk.services.export import FIELDS, ExportError, ExportRequest


@click.command("export")
@click.option("--from", "start", type=Day(), required=True)
@click.option("--to", "end", type=Day(), required=True)
@click.option("--site", help="Another site sharing the database (default: this kiosk's).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "json"]), default="csv")
@click.option("--fields", help="Comma-separated fields (default: all but health).")
@click.option("--include-health", is_flag=True, help="Add the health screening outcome.")
@click.option("--include-restricted", is_flag=True, help="Include restricted records.")
@click.option("--encrypt-to", "recipients", multiple=True, help="age public key (repeatable).")
@click.option("--passphrase", is_flag=True, help="Encrypt with a passphrase (asked twice).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def export_cmd(
    obj: Context,
    start: datetime,
    end: datetime,
    site: str | None,
    fmt: str,
    fields: str | None,
    include_health: bool,
    include_restricted: bool,
    recipients: tuple[str, ...],
    passphrase: bool,
    output: Path,
) -> None:
    """Export access records for a date range (streamed; CSV safe for spreadsheets)."""
    secret = None
    if passphrase:
        secret = str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))
    request = ExportRequest(
        start=start.date(),
        end=end.date(),
        output=output,
        fmt=fmt,
        fields=tuple(f.strip() for f in fields.split(",")) if fields else FIELDS,
        include_health=include_health,
        include_restricted=include_restricted,
        encrypt_to=recipients,
        passphrase=secret,
        site=site if site and site != obj.settings.site_name else None,
    )
    service = obj.services.export
    try:
        if sys.stderr.isatty():
            with Progress(transient=True) as bar:
                task = bar.add_task("exporting", total=None)
                result = service.export(request, obj.actor, lambda n: bar.update(task, completed=n))
        else:
            result = service.export(request, obj.actor)
    except ExportError as exc:
        fail(str(exc), 2)
    click.echo(f"exported {result.rows} row(s) to {result.path}")
    click.echo(f"sha256 {result.sha256}")
    if result.skipped_damaged:
        click.echo(
            f"kiosk: warning: {result.skipped_damaged} unreadable record(s) left out", err=True
        )


@click.command("report")
@click.option("--days", type=click.IntRange(1, 366), default=28, show_default=True,
              help="How many days, up to --day.")  # fmt: skip
@click.option("--day", type=Day(), help="The last day (and the day of the hours); default: today.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def report_cmd(obj: Context, days: int, day: datetime | None, output: Path) -> None:
    """Visits per day and arrivals per hour (counts only) as CSV: kind,day,hour,visits."""
    if output.exists():
        fail(f"{output} exists; choose a new file")
    reports = obj.services.reports
    report = reports.report(obj.actor, days, day.date() if day else None)
    reports.write_csv(report, output, obj.actor)
    total = sum(n for _d, n in report.days)
    click.echo(f"wrote {len(report.days)} day(s), {total} visit(s) to {output}")
