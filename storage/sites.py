"""Which site this installation is: a stable identifier, and a name that can change.

A site is found by its slug, never by its display name, so that renaming a lobby in the
config renames it (the hosts and the people inside stay) instead of starting an empty
one. The slug comes from the config (``site_id``) or, when the config names none, from
the ``site-id`` file beside the key file, written at this installation's first start.

An installation that knows no slug yet joins the site of its display name; it creates
one only in an empty database. A database shared by several kiosks that holds other
sites refuses an unknown site (a typo on one kiosk would otherwise start an empty lobby)
and lists the known ones; a new site is added on purpose (:func:`add_site`,
``kiosk site add``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.domain.sites import SLUG, slugify
from storage.errors import StorageError
from storage.models import Site, Visit


class UnknownSite(StorageError):
    """The config names a site this database does not hold, and it holds others."""


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ResolvedSite:
    id: uuid.UUID
    slug: str
    renamed_from: str | None
    """The display name before this start, when the config renamed the site."""


def identity_file(key_file: Path) -> Path:
    """Where an installation without ``site_id`` in its config keeps its site's slug."""
    return key_file.with_name("site-id")


def _info(row: Site) -> SiteInfo:
    return SiteInfo(row.id, row.slug, row.name, row.created_at)


def list_sites(engine: Engine) -> list[SiteInfo]:
    with Session(engine) as s:
        return [_info(row) for row in s.scalars(select(Site).order_by(Site.slug))]


def visit_counts(engine: Engine) -> dict[uuid.UUID, int]:
    """Visits stored per site (for ``kiosk site list``)."""
    with Session(engine) as s:
        rows = s.execute(select(Visit.site_id, func.count()).group_by(Visit.site_id))
        return {site_id: count for site_id, count in rows}


def _known(sites: list[SiteInfo]) -> str:
    return ", ".join(f"{site.slug} ({site.name!r})" for site in sites) or "none"


def add_site(engine: Engine, name: str, slug: str = "") -> SiteInfo:
    """A new site in this database; refused when its slug or name is taken."""
    slug = slug or slugify(name)
    if not SLUG.fullmatch(slug):
        raise UnknownSite(
            f"site id {slug!r} must be lower-case letters, digits and hyphens (at most 63)"
        )
    with Session(engine) as s, s.begin():
        for site in s.scalars(select(Site).where((Site.slug == slug) | (Site.name == name))):
            what = f"id {slug!r}" if site.slug == slug else f"name {name!r}"
            raise UnknownSite(f"a site with the {what} exists already: {site.slug}")
    row = Site(id=uuid.uuid4(), slug=slug, name=name, created_at=datetime.now(UTC))
    try:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            s.add(row)
    except IntegrityError:
        raise UnknownSite(f"a site with the id {slug!r} or that name exists already") from None
    return _info(row)


def _read_identity(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        slug = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise UnknownSite(f"cannot read {path}: {exc.strerror}") from None
    if not SLUG.fullmatch(slug):
        raise UnknownSite(f"{path} does not hold a site id; remove it or set site_id")
    return slug


def _write_identity(path: Path | None, slug: str) -> None:
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(slug + "\n")
    os.replace(tmp, path)


def resolve_site(
    engine: Engine, *, name: str, slug: str = "", identity: Path | None = None
) -> ResolvedSite:
    """This installation's site, created in an empty database, renamed to ``name`` when
    its display name changed; :class:`UnknownSite` when the database holds only others.

    ``slug``: the config's ``site_id`` (then ``identity`` is neither read nor written).
    """
    configured = bool(slug)
    wanted = slug or _read_identity(identity)
    for _ in range(3):
        sites = list_sites(engine)
        if wanted:
            found = next((site for site in sites if site.slug == wanted), None)
        else:
            found = next((site for site in sites if site.name == name), None)
        if found is not None:
            if not configured and not wanted:
                _write_identity(identity, found.slug)
            renamed = found.name if found.name != name else None
            if renamed is not None:
                taken = next((site for site in sites if site.name == name), None)
                if taken is not None:
                    raise UnknownSite(
                        f"cannot rename site {found.slug} to {name!r}: "
                        f"site {taken.slug} has that name"
                    )
            return ResolvedSite(found.id, found.slug, renamed)
        if sites:
            how = f"site id {wanted!r}" if wanted else f"site {name!r}"
            where = f" (from {identity})" if wanted and not configured else ""
            raise UnknownSite(
                f"this database holds no {how}{where}; known sites: {_known(sites)}. "
                "Set site_id to one of them (the name can change), or add a new site "
                "with: kiosk site add NAME"
            )
        try:
            created = add_site(engine, name, wanted)
        except UnknownSite:
            continue  # another kiosk created the first site at the same moment
        if not configured:
            _write_identity(identity, created.slug)
        return ResolvedSite(created.id, created.slug, None)
    raise UnknownSite("could not register the site")
