"""A site's stable identifier (its slug), made once from its first display name."""

from __future__ import annotations

import re
import unicodedata

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""A site identifier: lower-case letters, digits and inner hyphens, at most 63."""


def slugify(name: str) -> str:
    """``"Amsterdam HQ"`` → ``"amsterdam-hq"`` (accents dropped; "site" if nothing is left)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48] or "site"
