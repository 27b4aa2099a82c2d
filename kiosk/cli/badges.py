"""Badges on the label printer: `kiosk badge print CODE|test`."""

from __future__ import annotations

import sys

import click

from kiosk.cli.base import Context, pass_ctx


@click.group()
def badge() -> None:
    """The label printer: print a visitor's badge again, or a test label."""


@badge.command("print")
@click.argument("code")
@pass_ctx
def badge_print(obj: Context, code: str) -> None:
    """Print the badge with CODE again (the code the visitor shows), same code."""
    printed, line = obj.services.visits.print_badge(code, obj.actor)  # NotFound: one line
    click.echo(line)
    if not printed:
        sys.exit(1)


@badge.command("test")
@pass_ctx
def badge_test(obj: Context) -> None:
    """Print a test label (a made-up visitor) to check the printer and the label size."""
    printed, line = obj.services.badges.print_test(obj.actor)
    click.echo(line)
    if not printed:
        sys.exit(1)
