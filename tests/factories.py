"""Obviously fake visitors for tests."""

from __future__ import annotations

import socket

from storage.records import NdaSignature, NewVisit, ScreeningOutcome, VisitorType


def visitor(n: int = 0, **overrides: object) -> NewVisit:
    values: dict[str, object] = {
        "name": f"Zyxwvut Fakename{n:05d}",
        "email": f"zyx.fake{n:05d}@example.invalid",
        "phone": f"+3120555{n % 10000:04d}",
        "company": f"Qwertyco Fictional {n:05d}",
        "visitor_type": VisitorType.GUEST,
        "host_name": "Hostina Placeholder",
        "privacy_version": "test-1",
        "privacy_sha256": "0" * 64,
        "nda": NdaSignature("test-1", "en", "1" * 64, f"Zyxwvut Fakename{n:05d}"),
        "screening": ScreeningOutcome.PASSED,
    }
    values.update(overrides)
    return NewVisit(**values)  # type: ignore[arg-type]


def free_port() -> int:
    """A local TCP port nothing listens on (for a test server, or a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
