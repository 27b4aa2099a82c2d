"""Domain objects and validation: no Textual, no SQLAlchemy."""

from storage.codes import normalise_badge_code
from storage.records import (
    CheckInResult,
    DamagedRecord,
    DayVisits,
    HostEntry,
    NdaSignature,
    NewVisit,
    ScreeningOutcome,
    VisitorType,
    VisitRecord,
)

__all__ = [
    "CheckInResult",
    "DamagedRecord",
    "DayVisits",
    "HostEntry",
    "NdaSignature",
    "NewVisit",
    "ScreeningOutcome",
    "VisitRecord",
    "VisitorType",
    "normalise_badge_code",
]
