"""Hosts: the staff visitors come to see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HostEntry:
    """A host in the directory (staff data, stored in plain text)."""

    id: uuid.UUID
    name: str
    email: str | None
    active: bool
    language: str | None = None  # of the host's e-mails; None: the site's
    webhook: str | None = None  # their own, "FORMAT URL" (no secret in it)


# What a host's name may hold (the kiosk's cap for the host field).
HOST_NAME_MAX = 120


@dataclass(frozen=True, slots=True)
class DirectoryHost:
    """A host as the company directory (LDAP) lists them, checked: ``webhook`` is None
    when the directory holds none (or the sync is not set to read one)."""

    directory_id: str
    name: str
    email: str | None
    language: str | None
    webhook: str | None = None


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What a directory sync did (audited as is: counts only)."""

    read: int = 0
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    skipped: int = 0  # entries left out: no name, or a name another host already has

    def __str__(self) -> str:
        return (
            f"{self.read} read, {self.added} added, {self.changed} changed, "
            f"{self.deactivated} deactivated, {self.skipped} skipped"
        )
