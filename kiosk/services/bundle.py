"""Every use case over one open database: what the kiosk, the console and the CLI call.

:func:`open_services` opens the storage the settings describe (checking the master key,
migrating, taking the retention in force) and builds one service per use case over it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.config import Settings, check_settings
from kiosk.domain.retention import RetentionPolicy
from kiosk.domain.sites import slugify
from kiosk.services.audit import AuditService
from kiosk.services.backup import BackupService
from kiosk.services.badge import BadgeService
from kiosk.services.checkin import CheckInService
from kiosk.services.context import ServiceContext
from kiosk.services.directory import DirectoryService
from kiosk.services.documents import DocumentService
from kiosk.services.export import ExportService
from kiosk.services.hosts import HostService
from kiosk.services.invitations import InvitationService
from kiosk.services.log import LogService
from kiosk.services.notify import NotifyService
from kiosk.services.onsite import OnSiteService
from kiosk.services.reports import ReportService
from kiosk.services.retention import RetentionService
from kiosk.services.rights import RightsService
from kiosk.services.rollcall import RollCallService
from kiosk.services.staff import StaffService
from kiosk.services.status import StatusService
from kiosk.services.visits import VisitService
from kiosk.services.watchlist import WatchlistService
from storage.open import StoreConfig, check_paths, open_repositories, rotate_master_key
from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class Services:
    ctx: ServiceContext
    checkin: CheckInService
    badges: BadgeService
    visits: VisitService
    log: LogService
    onsite: OnSiteService
    invitations: InvitationService
    hosts: HostService
    staff: StaffService
    retention: RetentionService
    rights: RightsService
    export: ExportService
    audit: AuditService
    notify: NotifyService
    status: StatusService
    backup: BackupService
    documents: DocumentService
    watchlist: WatchlistService
    reports: ReportService
    rollcall: RollCallService
    directory: DirectoryService

    @classmethod
    def over(
        cls,
        repos: Repositories,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> Services:
        ctx = ServiceContext(repos, settings, clock)
        notify = NotifyService(ctx)
        badges = BadgeService(ctx, notify)
        onsite = OnSiteService(ctx)
        return cls(
            ctx=ctx,
            checkin=CheckInService(ctx),
            badges=badges,
            visits=VisitService(ctx, badges),
            log=LogService(ctx),
            onsite=onsite,
            invitations=InvitationService(ctx, notify, badges),
            hosts=HostService(ctx),
            staff=StaffService(ctx),
            retention=RetentionService(ctx),
            rights=RightsService(ctx),
            export=ExportService(ctx),
            audit=AuditService(ctx),
            notify=notify,
            status=StatusService(ctx),
            backup=BackupService(ctx),
            documents=DocumentService(ctx),
            watchlist=WatchlistService(ctx),
            reports=ReportService(ctx),
            rollcall=RollCallService(ctx, onsite),
            directory=DirectoryService(ctx),
        )

    def with_clock(self, clock: Callable[[], datetime] | None) -> Services:
        """These use cases reckoning "now" and "today" by ``clock`` (a test's fixed time;
        None: the wall clock), over the same database."""
        if clock is None or clock is self.ctx.clock:
            return self
        return Services.over(self.repos, self.settings, clock=clock)

    @property
    def repos(self) -> Repositories:
        return self.ctx.repos

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def close(self) -> None:
        """Close every connection (SQLite then folds its WAL back into the file)."""
        self.repos.db.dispose()


def store_config(settings: Settings) -> StoreConfig:
    r = settings.retention
    return StoreConfig(
        database_url=settings.resolved_database_url,
        keystore_url=settings.resolved_keystore_url,
        key_file=settings.resolved_key_file,
        site_name=settings.site_name,
        site_id=settings.site_id,
        timezone=settings.timezone,
        retention=RetentionPolicy(
            visit_days=r.visit_days,
            health_answers_days=r.health_answers_days,
            nda_days=r.nda_days,
            outbox_days=r.outbox_days,
            audit_days=r.audit_days,
            request_days=r.request_days,
        ),
        blind_index_bits=settings.blind_index_bits,
        witness=settings.audit.witness,
        audit_lane=settings.audit.lane,
    )


def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """The storage the settings describe, opened, purging by the retention periods in
    force (those an admin set in the database, else the settings'), with its services."""
    services = Services.over(open_repositories(store_config(settings), migrate=migrate), settings)
    services.retention.apply()
    return services


@dataclass(frozen=True, slots=True)
class SiteLine:
    slug: str
    name: str
    visits: int
    this: bool


def site_lines(services: Services) -> list[SiteLine]:
    """The sites sharing this database, with their stored visits; ``this``: ours."""
    repos = services.repos
    counts = repos.sites.visit_counts()
    return [
        SiteLine(site.slug, site.name, counts.get(site.id, 0), site.id == repos.db.site_id)
        for site in repos.sites.all()
    ]


def add_site(settings: Settings, name: str, site_id: str = "") -> str:
    """A new site in the configured database (refused if its id or name exists); its id."""
    wanted = dataclasses.replace(settings, site_name=name, site_id=site_id or slugify(name))
    check_settings(wanted)
    repos = open_repositories(store_config(wanted), new_site=True)
    repos.db.dispose()
    return wanted.site_id


def check_storage_paths(settings: Settings) -> None:
    """Before an app starts: one line (a StorageError) when this user cannot write the
    data folder, the key file or the SQLite files."""
    check_paths(store_config(settings))


def rotate_keys(settings: Settings) -> int:
    """Re-wrap every data key under a new master key (rows are not re-encrypted)."""
    return rotate_master_key(store_config(settings))
