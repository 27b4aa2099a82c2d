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
