"""The repositories, one per aggregate, over one open database.

Each reads through its own queries and writes only inside a unit of work its caller
opened (``with repos.db.uow(actor) as tx:``), so that a use case touching several of
them is still one transaction. :class:`Repositories` holds one of each for a database,
made once when it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database
from storage.repositories.audit import AuditRepository
from storage.repositories.documents import DocumentRepository
from storage.repositories.hosts import HostRepository
from storage.repositories.invitations import InvitationRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.reports import ReportRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.retention import RetentionRepository
from storage.repositories.rights import RightsRepository
from storage.repositories.rollcall import RollCallRepository
from storage.repositories.sites import SiteRepository
from storage.repositories.staff import StaffRepository
from storage.repositories.visits import VisitRepository
from storage.repositories.watchlist import WatchlistRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    db: Database
    visits: VisitRepository
    hosts: HostRepository
    staff: StaffRepository
    invitations: InvitationRepository
    documents: DocumentRepository
    rights: RightsRepository
    requests: RequestRepository
    retention: RetentionRepository
    watchlist: WatchlistRepository
    reports: ReportRepository
    rollcalls: RollCallRepository
    outbox: OutboxRepository
    audit: AuditRepository
    sites: SiteRepository

    @classmethod
    def over(cls, db: Database) -> Repositories:
        return cls(
            db=db,
            visits=VisitRepository(db),
            hosts=HostRepository(db),
            staff=StaffRepository(db),
            invitations=InvitationRepository(db),
            documents=DocumentRepository(db),
            rights=RightsRepository(db),
            requests=RequestRepository(db),
            retention=RetentionRepository(db),
            watchlist=WatchlistRepository(db),
            reports=ReportRepository(db),
            rollcalls=RollCallRepository(db),
            outbox=OutboxRepository(db),
            audit=AuditRepository(db),
            sites=SiteRepository(db),
        )
