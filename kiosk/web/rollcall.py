"""The roll-call page of `kiosk serve` (/rollcall), for marshals' phones: log in with a
staff name and PIN (security or admin: the on-site list is theirs), see everyone on the
roll call, missing first, with counts, and tap "Safe". The page reads the list again
every second, so several marshals see each other's marks; when it cannot reach the
kiosk it says so (the printed list is the fallback).

Sessions are kept in this process only (a random token in an HttpOnly, SameSite=Strict
cookie; 30 minutes without use ends one); every request that changes something must
carry the header ``X-Kiosk: rollcall`` (a cross-site form or script cannot send it
without the browser asking first, which is refused) and come from the kiosk's own origin.
The database and crypto run in worker threads, never on the server's loop."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kiosk.config import Settings
from kiosk.domain.rollcall import RollCallSheet
from kiosk.domain.staff import Actor, NotAllowed
from kiosk.services.bundle import Services, open_services
from kiosk.services.staff import LOBBY

COOKIE = "kiosk_rollcall"
IDLE_S = 30 * 60
HEADER = ("X-Kiosk", "rollcall")

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roll call</title>
<link rel="stylesheet" href="/kiosk-static/rollcall.css">
</head><body>
<header><h1>Roll call</h1><p id="counts"></p></header>
<p id="offline" hidden>Cannot reach the kiosk. Use the printed list until it answers again.</p>
<form id="login" hidden>
  <label>Staff name <input id="user" autocomplete="username" required></label>
  <label>PIN <input id="pin" type="password" inputmode="numeric" autocomplete="current-password"
    required></label>
  <button type="submit">Log in</button>
  <p id="login-error" role="alert"></p>
</form>
<section id="none" hidden><p>No roll call is under way.</p>
  <button id="start" type="button">Start a roll call of everyone on site</button></section>
<ul id="people"></ul>
<script src="/kiosk-static/rollcall.js"></script>
</body></html>
"""


@dataclass
class Session:
    actor: Actor
    used: float


class RollCallPages:
    def __init__(self, settings: Settings, same_origin: Callable[[web.Request], bool]) -> None:
        self.settings = settings
        self.same_origin = same_origin
        self.sessions: dict[str, Session] = {}
        self._services: Services | None = None
        self._opening = asyncio.Lock()
        # Each roll call's names, read once (the marks are read again at every poll).
        self._sheets: dict[uuid.UUID, RollCallSheet] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/rollcall", self.page)
        app.router.add_post("/rollcall/api/login", self.login)
        app.router.add_post("/rollcall/api/logout", self.logout)
        app.router.add_get("/rollcall/api/state", self.state)
        app.router.add_post("/rollcall/api/start", self.start)
        app.router.add_post("/rollcall/api/mark", self.mark)

    async def services(self) -> Services:
        """Opened on the first roll-call request (a served kiosk that never sees one
        never opens the database here)."""
        async with self._opening:
            if self._services is None:
                self._services = await asyncio.to_thread(open_services, self.settings)
            return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()

    # -- requests ---------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=PAGE,
            content_type="text/html",
            headers={
                "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )

    def _checked(self, request: web.Request) -> None:
        """A change: our header, from our own page."""
        if request.headers.get(HEADER[0]) != HEADER[1] or not self.same_origin(request):
            raise web.HTTPForbidden(text="not from the roll-call page")

    def _session(self, request: web.Request) -> Session:
        token = request.cookies.get(COOKIE, "")
        found = self.sessions.get(token)
        now = time.monotonic()
        if found is None or now - found.used > IDLE_S:
            self.sessions.pop(token, None)
            raise web.HTTPUnauthorized(text="log in first")
        found.used = now
        return found

    async def login(self, request: web.Request) -> web.Response:
        self._checked(request)
        try:
            body = await request.json()
            username, pin = str(body["user"]).strip(), str(body["pin"])
        except (ValueError, KeyError, TypeError):
            raise web.HTTPBadRequest(text="user and pin") from None
        services = await self.services()
        user = await asyncio.to_thread(services.staff.verify, username, pin, scope=LOBBY)
        if user is None:
            return web.json_response({"error": "Wrong name or PIN."}, status=401)
        actor = Actor.staff(user)
        if not actor.can("onsite"):
            return web.json_response(
                {"error": "The roll call is for security staff and admins."}, status=403
            )
        token = secrets.token_urlsafe(32)
        self.sessions[token] = Session(actor, time.monotonic())
        response = web.json_response({"user": user.username})
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/rollcall",
                            secure=request.secure or self.settings.serve.public_url
                            .startswith("https://"))  # fmt: skip
        return response

    async def logout(self, request: web.Request) -> web.Response:
        self._checked(request)
        self.sessions.pop(request.cookies.get(COOKIE, ""), None)
        response = web.json_response({})
        response.del_cookie(COOKIE, path="/rollcall")
        return response

    async def _run(self, session: Session, work: Callable[[Services], Any]) -> Any:
        services = await self.services()
        try:
            return await asyncio.to_thread(work, services)
        except NotAllowed:
            raise web.HTTPForbidden(text="not allowed") from None

    async def state(self, request: web.Request) -> web.Response:
        session = self._session(request)

        def read(services: Services) -> dict[str, Any]:
            rollcall = services.rollcall
            active = rollcall.active(session.actor)
            if active is None:
                return {"rollcall": None}
            sheet = self._sheets.get(active)
            if sheet is None:
                sheet = self._sheets[active] = rollcall.sheet(session.actor, active)
            return _as_json(sheet.with_marks(rollcall.marks(active)), services)

        return web.json_response(await self._run(session, read))

    async def start(self, request: web.Request) -> web.Response:
        self._checked(request)
        session = self._session(request)
        sheet = await self._run(session, lambda s: s.rollcall.start(session.actor))
        return web.json_response({"rollcall": str(sheet.id)})

    async def mark(self, request: web.Request) -> web.Response:
        self._checked(request)
        session = self._session(request)
        try:
            body = await request.json()
            rollcall_id, person = uuid.UUID(str(body["rollcall"])), uuid.UUID(str(body["id"]))
        except (ValueError, KeyError, TypeError):
            raise web.HTTPBadRequest(text="rollcall and id") from None
        marked = await self._run(
            session, lambda s: s.rollcall.mark(session.actor, rollcall_id, person)
        )
        return web.json_response({"marked": marked})


def _as_json(sheet: RollCallSheet, services: Services) -> dict[str, Any]:
    tz = services.ctx.tz
    return {
        "rollcall": str(sheet.id),
        "counts": sheet.counts,
        "missing": sheet.missing,
        "started": f"{sheet.started_at.astimezone(tz):%H:%M}",
        "people": [
            {
                "id": str(e.id),
                "name": e.name,
                "company": e.company,
                "safe": e.safe,
                "by": e.marked_by.removeprefix("staff:"),
                "at": f"{e.marked_at.astimezone(tz):%H:%M}" if e.marked_at else "",
            }
            for e in sheet.entries
        ],
    }
