"""The kiosk served to a real headless Chromium: check in, read the QR off a screenshot,
check out with it, and find it all in the database; no request leaves the machine."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import qrcode
from PIL import Image, ImageChops
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from kiosk.config import load_settings
from kiosk.domain.branding import palette
from kiosk.services.bundle import open_services
from storage.models import AuditEvent
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, decode_qr, needs_chromium
from tests.helpers.factories import free_port
from tests.helpers.waiting import wait_until_sync

ROOT = Path(__file__).resolve().parent.parent
NAME = "Wilhelmina Fakevisitor"

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with _serve(tmp_path) as (url, env, _server):
        yield url, env


@contextmanager
def _serve(
    tmp_path: Path, toml: str = ""
) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[str]]]:
    """``kiosk serve`` on a free port, with its own data and ``toml`` added to its
    settings: (its address, its environment, its process), until the block ends."""
    port = free_port()
    config = tmp_path / "kiosk.toml"
    config.write_text('site_name = "Fictional Lobby"\n' + toml)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(tmp_path / "data")}
    proc = _start_server(port, env)
    try:
        yield f"http://127.0.0.1:{port}/", env, proc
    finally:
        _stop_server(proc)


def _start_server(port: int, env: dict[str, str], *options: str) -> subprocess.Popen[str]:
    """``kiosk serve`` on ``port`` (with ``options``), once it listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "serve", "--port", str(port), *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "server died")
        time.sleep(0.2)
    _stop_server(proc)
    raise AssertionError("kiosk serve did not listen within a minute")


def _stop_server(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _visits_today(env: dict[str, str]) -> list[object]:
    settings = load_settings({k: v for k, v in env.items() if k.startswith("KIOSK_")})
    services = open_services(settings)
    try:
        return list(services.repos.visits.on_day(services.ctx.today()).visits)
    finally:
        services.close()


def _visit_departed(env: dict[str, str]) -> object:
    visits = _visits_today(env)
    return getattr(visits[0], "departed_at", None) if visits else None


BLINK = 1500  # pixels: a text cursor blinking changes one cell, fewer than this


def _changed(shot: bytes, before: bytes | None, least: int = BLINK) -> bool:
    """Whether ``shot`` differs from ``before`` in at least ``least`` pixels."""
    if before is None:
        return True
    if shot == before:
        return False
    a, b = (Image.open(io.BytesIO(png)).convert("L") for png in (shot, before))
    if a.size != b.size:
        return True
    differing = ImageChops.difference(a, b).point(lambda v: 255 if v > 16 else 0)
    return differing.histogram()[255] >= least


def _settle(page: Page, before: bytes | None = None, least: int = BLINK) -> bytes:
    """The terminal is a canvas: wait until what it shows has changed from ``before`` (in
    at least ``least`` pixels) and then holds still for a moment. A blinking cursor is
    neither a change nor a movement."""
    deadline = time.monotonic() + 30
    last = page.screenshot()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        shot = page.screenshot()
        if _changed(shot, last):
            last = shot
        elif _changed(shot, before, least):
            return shot
    stuck = Path(tempfile.mkdtemp()) / "stuck.png"
    stuck.write_bytes(last)
    raise AssertionError(f"the kiosk did not answer: its screen did not settle; see {stuck}")


def _held(page: Page, shot: bytes, seconds: float = 1.0) -> bytes:
    """``shot`` again once the screen has held still for ``seconds`` (a long document
    may be drawn in more than one frame on a busy machine: the last one counts)."""
    deadline, still_since = time.monotonic() + 30, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - still_since < seconds:
        time.sleep(0.25)
        now = page.screenshot()
        if _changed(now, shot):
            shot, still_since = now, time.monotonic()
    return shot


def _act(page: Page, *keys: str, text: str = "") -> bytes:
    """Type ``text``, press ``keys``, and wait for the kiosk's answer to be drawn (a key
    sent while the next screen is still coming goes to the one before); that screen."""
    before = page.screenshot()
    if text:
        page.keyboard.type(text)
    for key in keys:
        page.keyboard.press(key)
    return _settle(page, before)


def test_check_in_and_out_in_a_real_browser(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = served
    requests: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,  # Playwright adds a fresh, empty profile of its own
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        _open_kiosk(page, url)
        assert page.title() == "Fictional Lobby"
        _act(page, "Enter")  # "Check in" has the focus
        _act(page, "Enter")  # "I am 16 or older" (asked first) has the focus
        _act(page, "Tab", text=NAME)
        _act(page, "Enter", text="wilhelmina@example.com")  # Enter in a field: Next
        _act(page, "Enter")  # the privacy notice: "I have read this" has the focus
        _act(page, "Enter", text=NAME)  # the NDA: type one's full name, Enter
        codes = wait_until_sync(lambda: decode_qr(page.screenshot()), timeout=30, every=0.3)
        if len(codes) != 1:
            page.screenshot(path=str(tmp_path / "no-badge.png"))
            raise AssertionError(f"no QR code on the badge; see {tmp_path / 'no-badge.png'}")
        token = codes[0]
        _act(page, "Enter")  # Done
        _act(page, "Tab", "Enter")  # "Check out"
        _act(page, "Enter", text=token)  # as a USB scanner types it
        goodbye = page.screenshot()
        _wait_departed(env)
        assert goodbye
        browser.close()

    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(url).netloc}, f"requests left the machine: {hosts}"

    settings = load_settings({k: v for k, v in env.items() if k.startswith("KIOSK_")})
    store = open_services(settings).repos
    day = store.visits.on_day(store.db.local_day(datetime.now(store.db.timezone)))
    [visit] = day.visits
    assert visit.name == NAME and visit.departed_at is not None
    with store.db.engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEvent.action).order_by(AuditEvent.seq))]
    assert "visit.check_in" in actions and "visit.check_out" in actions
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.db*"))
    assert NAME.encode() not in raw


def _checked_in_badge(env: dict[str, str], *contact: str) -> str:
    """Check a visitor in with the CLI on the served kiosk's store; their badge code."""
    checked_in = subprocess.run(
        [sys.executable, "-m", "kiosk", "checkin", "--name", NAME, *contact, "--accept-nda"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return checked_in.stdout.split("badge ")[1].strip()


def _open_kiosk(page: Page, url: str) -> None:
    """Open the page and wait for the kiosk's first screen, drawn whole, with the
    keyboard focus in the terminal. The page shows its own splash until the kiosk
    process sends its first output (body.-first-byte): keys pressed before that are
    lost, and the splash holds as still as any screen does."""
    page.goto(url)
    page.wait_for_selector("body.-first-byte", state="attached", timeout=60000)
    deadline = time.monotonic() + 30
    last = page.screenshot()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        shot = page.screenshot()
        if shot == last:
            break
        last = shot
    page.focus(".xterm-helper-textarea")  # keyboard focus, without clicking a widget


def _open_the_camera(page: Page, url: str, way_in: int = 1) -> bytes:
    """From the welcome screen to the camera of the ``way_in``-th button after Check in
    (1: Check out, 2: I have an invitation code), by keyboard; the screen under it."""
    _open_kiosk(page, url)
    _act(page, *["Tab"] * way_in, "Enter")
    under = _act(page, "Tab")  # from the code field to "Scan with the camera"
    page.keyboard.press("Enter")
    page.wait_for_selector("#camera.-open", timeout=10000)
    return under


def _wait_departed(env: dict[str, str]) -> object:
    """When the visit was checked out, once it was (or None after half a minute)."""
    return wait_until_sync(lambda: _visit_departed(env), timeout=30, every=0.3)


def _camera_showing(video: Path) -> list[str]:
    """Chromium's arguments for a tablet whose camera sees ``video``, allowed by the
    visitor."""
    return [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--use-fake-ui-for-media-stream",
    ]


def _qr_video(text: str, out: Path, width: int = 640, height: int = 480) -> Path:
    """A few frames of a QR code as a Y4M clip: what Chromium's fake camera shows."""
    qr = qrcode.QRCode(border=4, box_size=8)
    qr.add_data(text)
    qr.make(fit=True)
    code = qr.make_image().get_image().convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    grey = bytes([128]) * (width // 2 * height // 2)  # no colour
    with out.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            fh.write(b"FRAME\n" + frame.tobytes() + grey + grey)
    return out


def test_the_tablets_camera_reads_the_badge_and_checks_out(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """At a lobby tablet (no USB scanner) the check-out screen offers the camera; the QR
    code held up to it is read in the page and the visitor is checked out. The page
    opens no other window, and the camera is off again afterwards."""
    url, env = served
    badge = _checked_in_badge(env, "--email", "wilhelmina@example.com")
    video = _qr_video(badge, tmp_path / "badge.y4m")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=_camera_showing(video))
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        _open_the_camera(page, url)
        assert "QR code on your badge" in page.inner_text("#camera-hint")
        assert _wait_departed(env) is not None, "the camera's code did not check out"
        assert not page.is_visible("#camera")
        assert page.evaluate("window.open('https://example.com/') === null")
        assert len(browser.contexts[0].pages) == 1
        browser.close()


def test_the_tablets_camera_reads_an_invitation_and_fills_the_check_in(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """The QR code of a pre-registration, held up to the camera on the invitation screen,
    opens the check-in filled from it; the visitor goes through with Enter."""
    url, env = served
    invited = subprocess.run(
        [sys.executable, "-m", "kiosk", "invite", "--name", NAME, "--email",
         "wilhelmina@example.com", "--date", datetime.now(UTC).date().isoformat()],  # site: UTC
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    code = invited.stdout.split()[-1]
    video = _qr_video(code, tmp_path / "invitation.y4m")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=_camera_showing(video))
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        invitation_screen = _open_the_camera(page, url, way_in=2)
        assert "invitation" in page.inner_text("#camera-hint")
        page.wait_for_selector("#camera", state="hidden", timeout=30000)  # read
        page.focus(".xterm-helper-textarea")
        # the code, typed into its field, changes a little; the details, filled in, a lot
        _settle(page, invitation_screen, least=10_000)
        for _ in range(3):  # Next; 16 or older; the notice
            _act(page, "Enter")
        _act(page, "Enter", text=NAME)  # the NDA, signed
        visits = wait_until_sync(lambda: _visits_today(env), timeout=30, every=0.5)
        browser.close()
    assert [getattr(v, "email", None) for v in visits] == ["wilhelmina@example.com"]


def test_without_a_camera_the_page_says_so_and_typing_still_works(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A tablet whose camera is refused (or missing): the page says to type the code,
    closes its overlay, and the code typed checks out."""
    url, env = served
    badge = _checked_in_badge(env, "--phone", "+31205550123")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})  # no camera allowed
        _open_the_camera(page, url)
        page.wait_for_function(
            "document.getElementById('camera-hint').textContent.includes('not available')",
            timeout=10000,
        )
        page.wait_for_selector("#camera", state="hidden", timeout=10000)
        page.focus(".xterm-helper-textarea")
        page.keyboard.type(badge)  # the focus went back to the code field
        page.keyboard.press("Enter")
        assert _wait_departed(env) is not None
        browser.close()


@pytest.fixture
def served_long_nda(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The kiosk served with an office's NDA far longer than a tablet's screen."""
    documents = tmp_path / "documents"
    documents.mkdir()
    clauses = "\n\n".join(
        f"**Clause {i}.** The visitor keeps what they see here confidential." for i in range(60)
    )
    for language in ("en", "nl"):
        text = f"version: long-1\n\n# Non-disclosure agreement\n\n{clauses}\n"
        (documents / f"nda.{language}.md").write_text(text)
    with _serve(tmp_path, f'documents_dir = "{documents}"\n') as (url, env, _server):
        yield url, env


def _primary_button(png: bytes) -> tuple[float, float]:
    """The middle of the button drawn in the theme's primary colour in the bottom eighth
    of a screenshot (on the NDA: "I accept"), wherever the layout put it."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    primary = tuple(int(palette().accent[i : i + 2], 16) for i in (1, 3, 5))
    width, height = image.size
    top = height * 7 // 8  # under the signature field (its focus border is primary too)
    pixels = image.load()
    assert pixels is not None
    found = [
        (x, y)
        for y in range(top, height, 2)
        for x in range(0, width, 2)
        if all(abs(int(c) - p) <= 12 for c, p in zip(pixels[x, y], primary, strict=True))  # type: ignore[arg-type]
    ]
    assert found, "no button in the primary colour at the bottom"
    xs, ys = [x for x, _ in found], [y for _, y in found]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _swipe(page: Page, x: int, from_y: int, to_y: int) -> None:
    """A finger drawn over the screen, as a tablet's touch screen reports it."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, *y: float) -> None:
        points = [{"x": x, "y": at} for at in y]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", from_y)
    for i in range(1, 13):
        touch("touchMove", from_y + (to_y - from_y) * i / 12)
        time.sleep(0.03)
    touch("touchEnd")
    cdp.detach()


def test_a_finger_scrolls_a_long_nda_and_a_tap_still_accepts(
    served_long_nda: tuple[str, dict[str, str]],
) -> None:
    """A tablet has no mouse wheel: a swipe up over an NDA longer than the screen moves
    the text, a swipe down brings its beginning back, and a tap on "I accept" (after the
    name is typed) still presses it."""
    url, env = served_long_nda
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
        page = context.new_page()
        _open_kiosk(page, url)
        _act(page, "Enter")  # Check in
        _act(page, "Enter")  # "I am 16 or older" (asked first) has the focus
        _act(page, "Tab", text=NAME)
        _act(page, "Enter", text="wilhelmina@example.com")
        nda = _held(page, _act(page, "Enter"))  # the privacy notice read: the NDA's beginning
        _swipe(page, 500, 460, 170)  # over the text (y 170 to 490 at this size), upwards
        # Lines of clauses move onto lines much like them: a few thousand pixels change
        # (a blinking cursor: a few hundred).
        scrolled = _held(page, _settle(page, nda, least=4_000))
        _swipe(page, 500, 170, 480)
        _swipe(page, 500, 170, 480)
        back = _held(page, _settle(page, scrolled, least=4_000))
        assert not _changed(back, nda), "the swipes down did not bring the beginning back"
        page.keyboard.type(NAME)  # the signature field has the keyboard
        page.touchscreen.tap(*_primary_button(page.screenshot()))  # "I accept"
        wait_until_sync(lambda: _visits_today(env), timeout=30, every=0.3)
        browser.close()
    [visit] = _visits_today(env)
    assert getattr(visit, "nda_accepted", False)


def test_a_tablet_lays_the_page_out_at_its_own_width(served: tuple[str, dict[str, str]]) -> None:
    """A mobile browser without a viewport declaration lays a page out 980 pixels wide
    and shrinks it: on an 800-pixel tablet every letter of the kiosk would be a fifth
    smaller. The kiosk's page takes the tablet's width, and the terminal fills it."""
    url, _env = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 800, "height": 1280}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        _open_kiosk(page, url)
        assert page.evaluate("document.documentElement.clientWidth") == 800
        terminal = page.locator("#terminal").bounding_box()
        assert terminal is not None and terminal["width"] >= 780
        browser.close()


def test_the_tablet_comes_back_by_itself_when_its_kiosk_restarts(tmp_path: Path) -> None:
    """In an empty lobby nobody presses the page's Restart button: after the kiosk
    service restarts (here: stopped, and started a few seconds later on the same port),
    the tablet shows the welcome screen again by itself, and it works."""
    with _serve(tmp_path) as (url, env, server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        _open_kiosk(page, url)
        welcome = page.screenshot()
        _stop_server(server)
        page.wait_for_selector("body.-closed", state="attached", timeout=30000)
        time.sleep(3)  # down for a while: the page keeps asking
        again = _start_server(int(urlsplit(url).port or 0), env)
        try:
            page.wait_for_selector("body.-first-byte:not(.-closed)", timeout=60000)
            page.focus(".xterm-helper-textarea")
            # The welcome screen within 30 s: on a busy machine the new session's first
            # frames may pause mid-draw for longer than _settle's moment.
            shown, deadline = _settle(page), time.monotonic() + 30
            while _changed(shown, welcome, least=10_000) and time.monotonic() < deadline:
                time.sleep(0.25)
                shown = page.screenshot()
            assert not _changed(shown, welcome, least=10_000), "not the welcome screen"
            assert _changed(_act(page, "Enter"), welcome, least=10_000)  # Check in: it answers
        finally:
            browser.close()
            _stop_server(again)
