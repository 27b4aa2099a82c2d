"""Staff accounts: `kiosk staff add|list|reset-pin|remove`."""

from __future__ import annotations

import sys

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.domain.staff import ROLES
from kiosk.services.errors import PinPolicyError


@click.group()
def staff() -> None:
    """Staff accounts (the PIN opens the staff menu at the kiosk)."""


def read_pin(pin_stdin: bool) -> str:
    if pin_stdin:
        return sys.stdin.readline().strip()
    return str(click.prompt("PIN", hide_input=True, confirmation_prompt=True))


@staff.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input.")
@pass_ctx
def staff_add(obj: Context, username: str, role: str, pin_stdin: bool) -> None:
    """Add a staff account; the PIN (6+ digits) is asked twice."""
    pin = read_pin(pin_stdin)
    try:
        obj.services.staff.add(username, role, pin, obj.actor)
    except PinPolicyError as exc:
        fail(str(exc), 2)
    click.echo(f"added {role} {username}")


@staff.command("list")
@pass_ctx
def staff_list(obj: Context) -> None:
    """List staff accounts."""
    for account in obj.services.staff.accounts(obj.actor):
        where = " and ".join(account.locked_at)
        locked = f"  locked at the {where} after wrong PINs" if where else ""
        click.echo(f"{account.username}  {account.role}{locked}")


@staff.command("unlock")
@click.argument("username")
@pass_ctx
def staff_unlock(obj: Context, username: str) -> None:
    """Clear an account's wrong-PIN count and lock, in the lobby and at the console."""
    try:
        obj.services.staff.unlock(username, obj.actor)
    except PinPolicyError as exc:
        fail(str(exc), 2)
    click.echo(f"unlocked {username}")


@staff.command("reset-pin")
@click.argument("username")
@click.option("--pin-stdin", is_flag=True, help="Read the new PIN from standard input.")
@pass_ctx
def staff_reset_pin(obj: Context, username: str, pin_stdin: bool) -> None:
    """Set a new PIN (and unlock the account)."""
    pin = read_pin(pin_stdin)
    try:
        obj.services.staff.reset_pin(username, pin, obj.actor)
    except PinPolicyError as exc:
        fail(str(exc), 2)
    click.echo(f"new PIN set for {username}")


@staff.command("remove")
@click.argument("username")
@pass_ctx
def staff_remove(obj: Context, username: str) -> None:
    """Remove a staff account."""
    obj.services.staff.remove(username, obj.actor)
    click.echo(f"removed {username}")
