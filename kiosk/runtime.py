"""A running app's hold on its services (the kiosk's, the console's).

The first frame does not wait for the database: :meth:`Runtime.open` opens it from a
worker once the frame is up (the database libraries, the key checks and migrations take
a while), and while its server does not answer :meth:`Runtime.reopen` tries again. Until
then, what needs only the settings (the site's time, the documents a visitor reads) is
answered at once; what needs the database waits in its worker for :attr:`services`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.config import ConfigError, Settings
from kiosk.documents import Document, Terms
from kiosk.documents import load as load_document
from kiosk.i18n import LANGUAGES
from kiosk.services.errors import ServiceUnavailable
from storage.errors import DatabaseUnavailable, StorageError

if TYPE_CHECKING:  # the services' modules load SQLAlchemy: in the worker that opens them
    from kiosk.services.bundle import Services

log = logging.getLogger(__name__)

# How often an app whose database did not answer at start-up tries again.
REOPEN_EVERY_S = 5.0


class Runtime:
    def __init__(
        self,
        settings: Settings,
        services: Services | None = None,
        *,
        opener: Callable[[], Services] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._services = services
        self._opener = opener
        self._opened = threading.Event()
        if services is not None:
            self._opened.set()
        self.open_error: str | None = None
        # The open failed because the database did not answer (its server not up yet: a
        # kiosk that booted first); reopen() tries again. Key and settings errors need a
        # person, and are not retried.
        self.retrying = False
        self._attempt = threading.Lock()

    # -- opening -------------------------------------------------------------------------

    def open(self) -> None:
        """Open the database (call from a worker thread). A failure is kept as a message
        that names no personal data (key and database errors name paths and ids)."""
        if self._opened.is_set() or self._opener is None:
            return
        try:
            with self._attempt:
                self._try_open()
        finally:
            self._opened.set()

    def reopen(self) -> bool:
        """After an open that failed because the database did not answer, try once more
        (call from a worker thread, every few seconds). True when this opened it."""
        if not self.retrying or not self._attempt.acquire(blocking=False):
            return False  # nothing to retry, or an attempt is already under way
        try:
            return self.retrying and self._try_open()
        finally:
            self._attempt.release()

    def _try_open(self) -> bool:
        assert self._opener is not None
        try:
            self._services = self._opener()
        except DatabaseUnavailable as exc:
            if not self.retrying:  # once, not at each attempt
                log.error("the kiosk could not open its store (trying again): %s", exc)
            self.open_error, self.retrying = str(exc), True
            return False
        except (StorageError, ConfigError) as exc:
            error = str(exc)
        except Exception as exc:
            error = type(exc).__name__
        else:
            if self.retrying:
                log.warning("the kiosk opened its store: the database answers again")
            self.open_error, self.retrying = None, False
            return True
        log.error("the kiosk could not open its store: %s", error)
        self.open_error, self.retrying = error, False
        return False

    @property
    def ready(self) -> bool:
        return self._opened.is_set() and self._services is not None

    @property
    def services(self) -> Services:
        """The use cases over the open database; waits for :meth:`open` (never ask for
        them on the UI thread)."""
        if not self._opened.wait(timeout=120) or self._services is None:
            raise ServiceUnavailable(self.open_error or "the store is not open")
        return self._services

    # -- what needs only the settings --------------------------------------------------

    @property
    def site_name(self) -> str:
        return self.settings.site_name

    def now(self) -> datetime:
        """The site's local time (a test's fixed clock, if given)."""
        tz = ZoneInfo(self.settings.timezone)
        return (self.clock() if self.clock else datetime.now(tz)).astimezone(tz)

    def terms(self) -> Terms:
        """What visitors are told about keeping their data: the retention the database
        applies (an admin may change it while the kiosk runs), or the configured one
        until the database is open."""
        retention = self._services.retention.policy if self.ready and self._services else None
        screening = self.settings.screening.enabled
        return Terms.of(retention or self.settings.retention, screening=screening)

    def document(self, kind: str, language: str, terms: Terms | None = None) -> Document:
        """A document as shown under ``terms`` (default: those in force). Cached: after
        :meth:`load_documents` the screens that ask for it read no file."""
        return load_document(kind, language, terms or self.terms(), self.settings.documents_dir)

    def load_documents(self) -> None:
        """Read every document under the terms in force (call from a worker: at start
        and each minute, so that a change of retention is read there, not on the UI
        thread)."""
        terms = self.terms()
        for kind in ("privacy", "nda"):
            for language in LANGUAGES:
                load_document(kind, language, terms, self.settings.documents_dir)
