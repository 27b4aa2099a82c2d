"""`kiosk serve` in a public lobby: sessions only from the kiosk's own page, at most
max_sessions at once (then a page that says so), and no console from a served tablet
unless --allow-console says so."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

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


FORWARDED = {"X-Forwarded-Host": "kiosk.example.com:8443", "X-Forwarded-Proto": "https"}


async def _page_websocket(url: str, headers: dict[str, str]) -> tuple[int, str]:
    """The status of the kiosk's page, and the websocket address it tells the browser."""
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as page:
        found = re.search(r'data-session-websocket-url="([^"]*)"', await page.text())
        return page.status, found.group(1) if found else ""


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [
        ('["10.1.2.3"]', "ws://127.0.0.1:{port}/ws"),  # the headers of a stranger: ignored
        ('["127.0.0.0/8"]', "wss://kiosk.example.com:8443/ws"),  # of the proxy: believed
    ],
)
def test_forwarded_addresses_are_believed_from_a_trusted_proxy_only(
    tmp_path: Path, proxies: str, expected: str
) -> None:
    with _serve(tmp_path, f"[serve]\ntrusted_proxies = {proxies}\n") as (url, _env, _server):
        port = urlsplit(url).port
        status, websocket = asyncio.run(_page_websocket(url, FORWARDED))
        assert status == 200 and websocket == expected.format(port=port)
        # A session opened from the page the tablet was given is the kiosk's own.
        if "wss" in expected:

            async def attempt() -> None:
                async with aiohttp.ClientSession() as http:
                    ws = await http.ws_connect(
                        url.replace("http://", "ws://") + "ws?width=80&height=24",
                        headers={"Origin": "https://kiosk.example.com:8443", **FORWARDED},
                    )
                    assert await _first_output(ws)
                    await ws.close()

            asyncio.run(attempt())
        bad, _ = asyncio.run(_page_websocket(url, {"X-Forwarded-Host": "x/<script>"}))
        assert bad == (400 if "wss" in expected else 200)
