"""`kiosk serve` in a public lobby: sessions only from the kiosk's own page, at most
max_sessions at once (then a page that says so), and no console from a served tablet
unless --allow-console says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from textual.app import App
from textual.widgets import Button

from tests.helpers.kiosk_ui import services_with_staff, staff_login, wait_for_screen
from tests.helpers.visitor_ui import kiosk_app
from tests.kiosk_app.test_staff_access import open_pin_dialog
from tests.test_browser import _serve


async def _connect(
    http: aiohttp.ClientSession, url: str, origin: str
) -> aiohttp.ClientWebSocketResponse:
    ws_url = url.replace("http://", "ws://") + "ws?width=80&height=24"
    return await http.ws_connect(ws_url, headers={"Origin": origin})


async def _first_output(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Whether the session's kiosk process sends its screen (it runs)."""
    async with asyncio.timeout(60):
        async for message in ws:
            if message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                return True
    return False


def test_a_session_from_another_origin_is_refused(tmp_path: Path) -> None:
    with _serve(tmp_path) as (url, _env, _server):

        async def attempt() -> None:
            own = url.rstrip("/")
            async with aiohttp.ClientSession() as http:
                for foreign in ("http://evil.example", "null", ""):
                    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                        await _connect(http, url, foreign)
                    assert refused.value.status == 403
                ws = await _connect(http, url, own)
                assert await _first_output(ws)
                await ws.close()

        asyncio.run(attempt())


def test_sessions_beyond_the_cap_get_a_page_saying_so(tmp_path: Path) -> None:
    with _serve(tmp_path, "[serve]\nmax_sessions = 2\n") as (url, _env, _server):

        async def attempt() -> None:
            own = url.rstrip("/")
            async with aiohttp.ClientSession() as http:
                sessions = [await _connect(http, url, own) for _ in range(2)]
                for ws in sessions:
                    assert await _first_output(ws)
                async with http.get(url) as page:
                    assert page.status == 503
                    assert "All kiosk sessions are in use" in await page.text()
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await _connect(http, url, own)
                assert refused.value.status == 503
                await sessions[0].close()
                for _ in range(50):  # the server sees the session end
                    async with http.get(url) as page:
                        if page.status == 200:
                            break
                    await asyncio.sleep(0.2)
                assert page.status == 200
                await sessions[1].close()

        asyncio.run(attempt())


@pytest.mark.parametrize("allowed", [False, True])
async def test_a_served_tablet_opens_the_console_only_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    monkeypatch.setattr(App, "is_web", property(lambda _: True))
    toml = "[serve]\nallow_console = true\n" if allowed else ""
    services = services_with_staff(tmp_path, toml)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await staff_login(pilot, "ada")
        await wait_for_screen(pilot, "StaffMenuScreen")
        buttons = {b.id for b in pilot.app.screen.query(Button)}
        assert ("console" in buttons) is allowed
        assert bool(pilot.app.screen.query("#no-console")) is not allowed
