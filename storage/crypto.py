"""Envelope encryption primitives: the master key file, field ciphers and blind indexes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.errors import KeyFileError

KEY_BYTES = 32
NONCE_BYTES = 12
_SEP = b"\x1f"

__all__ = [
    "InvalidTag",
    "MasterKey",
    "blind_index",
    "create_key_file",
    "derive_subkey",
    "field_ad",
    "open_field",
    "read_key_file",
    "seal_field",
    "write_key_file",
]


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The key-encryption key (KEK). Its repr never shows the bytes."""

    material: bytes

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def aead(self) -> AESGCM:
        return AESGCM(self.material)


def _check_mode(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is readable by group or others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )


def read_key_file(path: Path) -> MasterKey:
    """Read and check the master key file; raise :class:`KeyFileError` with a clear reason."""
    if not path.exists():
        raise KeyFileError(f"key file {path} does not exist")
    _check_mode(path)
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise KeyFileError(f"key file {path} is not a {KEY_BYTES}-byte key (it has {len(data)})")
    return MasterKey(data)


def write_key_file(path: Path, key: MasterKey, *, exclusive: bool = False) -> None:
    """Write a key with mode 0600 (never group- or world-readable, even briefly), durably
    and atomically. With ``exclusive``, fail with FileExistsError if ``path`` exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key.material)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if exclusive:
            os.link(tmp, path)  # atomic, and refuses to replace an existing key
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def create_key_file(path: Path) -> MasterKey:
    """A new random master key; if another process created one first, that one wins."""
    key = MasterKey(secrets.token_bytes(KEY_BYTES))
    try:
        write_key_file(path, key, exclusive=True)
    except FileExistsError:
        return read_key_file(path)
    return key


def derive_subkey(secret: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 sub-key for one purpose (blind index, audit chain, PIN pepper)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kiosk/" + purpose.encode()
    ).derive(secret)


def field_ad(table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    """Associated data binding a ciphertext to its table, column, row and data key."""
    return table.encode() + _SEP + column.encode() + _SEP + row_id.bytes + key_id.bytes


def seal_field(aead: AESGCM, plaintext: str, ad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext.encode(), ad)


def open_field(aead: AESGCM, blob: bytes, ad: bytes) -> str:
    """Decrypt one field. Raises :class:`InvalidTag` if the blob or its place was altered."""
    return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad).decode()


@functools.lru_cache(maxsize=32)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message``, the key set up once per key and copied per call: a
    new HMAC costs about 10 us with OpenSSL 3 (it looks the digest up each time), a copy
    a tenth of that; a check-in makes several."""
    mac = _keyed(key).copy()
    mac.update(message)
    return mac.digest()


def blind_index(key: bytes, normalised: str, bits: int) -> int:
    """HMAC-SHA256 truncated to ``bits`` bits, as a non-negative integer.

    Short on purpose: with ``bits`` chosen for the expected number of people, several
    people share each value, so an index value alone never pins one person. Candidates
    are decrypted and compared exactly.
    """
    digest = hmac_sha256(key, normalised.encode())
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def badge_hash(canonical: str) -> bytes:
    return hashlib.sha256(b"kiosk-badge:" + canonical.encode()).digest()
