"""Files that appear only when complete: written beside their name, then given it."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def place(partial: Path, output: Path) -> None:
    """Give the finished file ``partial`` the name ``output``, unless a file took that
    name meanwhile (FileExistsError: an existing file is never replaced)."""
    try:
        os.link(partial, output)  # fails if ``output`` exists: no check-then-replace race
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (FAT on a USB stick, some shares)
        if output.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(output)) from None
        partial.replace(output)
        return
    partial.unlink()
