"""Passphrase-encrypted age files, written as a stream, open with the reference tool."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import shutil
from pathlib import Path

import pyrage
import pytest

from kiosk.services.agefile import CHUNK, PassphraseWriter


def _encrypt(data: bytes, passphrase: str, piece: int) -> bytes:
    out = io.BytesIO()
    writer = PassphraseWriter(out, passphrase, work_factor=10)
    for i in range(0, len(data), piece):
        writer.write(data[i : i + piece])
    writer.close()
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 77])
def test_rage_decrypts_what_the_writer_wrote(size: int) -> None:
    data = os.urandom(size)
    blob = _encrypt(data, "Grüße, correct horse", piece=7001)
    assert blob.startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert pyrage.passphrase.decrypt(blob, "Grüße, correct horse") == data


def test_a_wrong_passphrase_or_a_flipped_byte_does_not_open() -> None:
    blob = bytearray(_encrypt(b"visitor list" * 1000, "right", piece=4096))
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(bytes(blob), "wrong")
    blob[-20] ^= 1
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(bytes(blob), "right")


def test_ciphertext_leaves_as_the_plaintext_arrives() -> None:
    out = io.BytesIO()
    writer = PassphraseWriter(out, "pass", work_factor=10)
    header = len(out.getvalue())
    for _ in range(10):
        writer.write(b"x" * CHUNK)
    # Nine full chunks (plus their 16-byte tags) are out; one waits to learn if it is last.
    assert len(out.getvalue()) == header + 9 * (CHUNK + 16)
    writer.close()
    assert len(out.getvalue()) == header + 10 * (CHUNK + 16)
    assert pyrage.passphrase.decrypt(out.getvalue(), "pass") == b"x" * CHUNK * 10


def test_an_empty_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        PassphraseWriter(io.BytesIO(), "")


@pytest.mark.skipif(shutil.which("age") is None, reason="the age command is not installed")
def test_the_go_age_tool_decrypts_it(tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK + 5)
    sealed, opened = tmp_path / "export.age", tmp_path / "export.csv"
    sealed.write_bytes(_encrypt(data, "correct horse", piece=10_000))
    # age asks for the passphrase on its terminal only: answer it through a pty.
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes age
        os.execvp("age", ["age", "-d", "-o", str(opened), str(sealed)])  # noqa: S606 - fixed argv
    seen = b""
    while b"passphrase" not in seen.lower():
        seen += os.read(fd, 1024)
    os.write(fd, b"correct horse\n")
    with contextlib.suppress(OSError):  # EIO once age closes the terminal
        while os.read(fd, 1024):
            pass
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert opened.read_bytes() == data
