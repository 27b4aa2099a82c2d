"""Badges through a real CUPS (a throw-away cupsd and a cups-pdf queue): a visitor checked
in at the kiosk gets one label-sized page whose QR code checks them out; a refusing or
unreachable printer is said on the badge screen and in `kiosk status`; and afterwards
neither CUPS nor the kiosk's spool holds the visitor's name."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from kiosk.domain.staff import KIOSK
from kiosk.services.bundle import Services
from tests.helpers.browser import decode_qr
from tests.helpers.cups import CupsServer
from tests.helpers.factories import kiosk_process
from tests.helpers.kiosk_ui import (
    kiosk_settings,
    open_services,
    ready,
    screen_text,
    settled,
    type_into,
    wait_for_screen,
)
from tests.helpers.visitor_ui import NAME, kiosk_app, start_details, through_documents

HOST = "Hostina Placeholder"


def _services(tmp_path: Path, queue: str) -> Services:
    return open_services(
        kiosk_settings(tmp_path, f'[printing]\nprinter = "{queue}"\nlabel = "62x29mm"\n')
    )


async def _check_in(services: Services) -> tuple[str, str]:
    """A visitor checked in at the kiosk, once printing is over: their badge code, and
    what the badge screen said."""
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await start_details(pilot)
        await type_into(pilot, "#host-input", HOST)
        await pilot.click("#type-guest")
        await pilot.click("#next")
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        code = str(pilot.app.screen.query_one("#badge-code").render())
        await settled(pilot)  # the print worker: CUPS has finished the job
        await pilot.pause()
        return code, screen_text(pilot)


def _status(services: Services) -> list[str]:
    return services.status.collect(datetime.now(UTC)).attention


def _holds_the_name(folder: Path, skip: Path | None = None) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and (skip is None or skip not in path.parents):
            data = path.read_bytes()
            if any(part.encode() in data for part in NAME.split()):
                found.append(path)
    return found


async def test_a_checked_in_visitor_gets_a_label_that_checks_them_out(
    cups: CupsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups.address)
    services = _services(tmp_path, cups.queue)
    code, said = await _check_in(services)
    assert "Take your badge from the printer." in said

    [pdf] = cups.printed()
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 62 * 72 / 25.4) < 1.5  # 62 x 29 mm, in points
    assert abs(float(box.height) - 29 * 72 / 25.4) < 1.5
    text = reader.pages[0].extract_text()
    assert "Zebulon" in text and HOST in text
    png = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(png)], check=True)
    buf = io.BytesIO()
    Image.open(png.with_suffix(".png")).save(buf, "PNG")
    [read] = decode_qr(buf.getvalue())
    assert read == code
    services.checkin.check_out(read, KIOSK)
    [visit] = services.repos.visits.on_day(services.ctx.today()).visits
    assert visit.departed_at is not None

    # Nothing of the visitor's is left in CUPS (spool, job history, logs) or the kiosk.
    assert _holds_the_name(cups.root, skip=cups.out) == []
    assert list((tmp_path / "data" / "badges").glob("*")) == []
    assert _status(services) == []
    services.close()


@pytest.mark.parametrize(
    ("how", "reason"),
    [("cupsreject", "is not accepting jobs"), ("cupsdisable", "stopped")],
)
async def test_a_printer_that_refuses_is_said_on_the_badge_and_in_status(
    cups: CupsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, reason: str
) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups.address)
    cups.admin(how, cups.queue)
    services = _services(tmp_path, cups.queue)
    _, said = await _check_in(services)
    assert "The badge printer could not print your badge. Take a photo of this code" in said
    [attention] = _status(services)
    assert attention.startswith("the last badge was not printed (refused: ") and reason in attention
    assert NAME.split()[0] not in attention
    # The job does not wait in the queue with the visitor's badge in it.
    assert _holds_the_name(cups.root, skip=cups.out) == []
    assert list((tmp_path / "data" / "badges").glob("*")) == []
    services.close()


async def test_an_unreachable_print_server_is_said_on_the_badge_and_in_status(
    cups: CupsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups.address)
    cups.stop()
    services = _services(tmp_path, cups.queue)
    _, said = await _check_in(services)
    assert "The badge printer cannot be reached. Take a photo of this code" in said
    [attention] = _status(services)
    assert attention.startswith("the last badge was not printed (unreachable: ")
    services.close()


def _kiosk(tmp_path: Path, cups: CupsServer, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "cli.toml"
    config.write_text(f'site_name = "Fictional HQ"\n[printing]\nprinter = "{cups.queue}"\n')
    settings = {"KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(tmp_path / "cli-data")}
    return kiosk_process(settings | cups.lp_env(), *args, timeout=120)


def test_reception_prints_a_test_label_and_a_badge_again(cups: CupsServer, tmp_path: Path) -> None:
    test = _kiosk(tmp_path, cups, "badge", "test")
    assert (test.returncode, test.stdout) == (0, "Printed.\n"), test.stderr
    [label] = cups.printed()
    assert "Test" in PdfReader(label).pages[0].extract_text()
    label.unlink()

    checked_in = _kiosk(tmp_path, cups, "checkin", "--name", NAME, "--email",
                        "zeb@example.com", "--host", HOST, "--accept-nda")  # fmt: skip
    code = checked_in.stdout.split("badge ")[1].split()[0]
    assert checked_in.stdout.endswith("badge printed\n"), checked_in.stdout
    [first] = cups.printed()  # kiosk checkin prints, as the kiosk does
    assert code in PdfReader(first).pages[0].extract_text()
    first.unlink()
    again = _kiosk(tmp_path, cups, "badge", "print", code.lower().replace("-", " "))
    assert (again.returncode, again.stdout) == (0, "Printed.\n"), again.stderr
    [badge] = cups.printed()
    text = PdfReader(badge).pages[0].extract_text()
    assert "Zebulon" in text and HOST in text and code in text

    unknown = _kiosk(tmp_path, cups, "badge", "print", "AAAA-BBBB-CCCC")
    assert unknown.returncode == 1 and unknown.stderr.startswith("kiosk: error: no visit")
    cups.admin("cupsreject", cups.queue)
    refused = _kiosk(tmp_path, cups, "badge", "print", code)
    assert refused.returncode == 1
    assert refused.stdout == f"Not printed: printer {cups.queue} is not accepting jobs.\n"
    stored = _kiosk(tmp_path, cups, "checkin", "--name", NAME, "--phone", "+31205550123",
                    "--type", "delivery")  # fmt: skip
    assert stored.returncode == 0 and stored.stdout.startswith("visit ")  # stored anyway
    assert stored.stdout.endswith(
        f"badge not printed (printer {cups.queue} is not accepting jobs)\n"
    )
    assert "badge printing failed: refused" in stored.stderr
