from __future__ import annotations

import pytest

from kiosk.i18n import set_language


@pytest.fixture(autouse=True)
def _english() -> None:
    """Each test starts in English, whatever language the one before left set."""
    set_language("en")
