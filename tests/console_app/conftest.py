from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.services.bundle import Services
from tests.helpers.kiosk_ui import services_with_staff


@pytest.fixture
def services(tmp_path: Path) -> Services:
    """The use cases over a fresh store with a staff account of each role (STAFF_PINS)."""
    return services_with_staff(tmp_path)
