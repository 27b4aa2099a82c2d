"""QR codes of badge and invitation codes: a matrix for the screen and the printed badge,
a PNG for e-mails."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pure import PyPNGImage

QUIET_ZONE = 2  # modules of light margin around the code on screen
PRINT_QUIET_ZONE = 4


def qr_matrix(data: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """True = dark module, quiet zone included."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def qr_png(data: str, box_size: int = 10) -> bytes:
    """The QR code of ``data`` as a PNG (for an e-mail: a phone shows it to the kiosk's
    scanner or camera), with the quiet zone a reader needs."""
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M,
        border=PRINT_QUIET_ZONE,
        box_size=box_size,
        image_factory=PyPNGImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()
