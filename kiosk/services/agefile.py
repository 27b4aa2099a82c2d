"""age files encrypted to a passphrase, written as a stream.

pyrage streams to public keys (``encrypt_io``) but encrypts to a passphrase only as one
whole buffer, which would hold a large export in memory. This writer produces the same
format, age v1 with a single scrypt stanza (https://age-encryption.org/v1), from the
primitives of ``cryptography``, 64 KiB at a time: what it writes opens with ``age -d``,
``rage -d`` and ``pyrage.passphrase.decrypt`` (the tests check the last).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

CHUNK = 64 * 1024
# 2**18 is what age itself uses for passphrases: about a second of work and 256 MiB
# for whoever tries a guess.
WORK_FACTOR = 18
_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


class PassphraseWriter:
    """Write plaintext with :meth:`write`, then :meth:`close` to write the last chunk.

    Nothing but the header and ciphertext reaches ``out``; at most one chunk of
    plaintext is held at a time.
    """

    def __init__(self, out: Writable, passphrase: str, *, work_factor: int = WORK_FACTOR):
        if not passphrase:
            raise ValueError("the passphrase is empty")
        file_key = os.urandom(16)
        salt = os.urandom(16)
        wrap_key = Scrypt(
            salt=_SCRYPT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1
        ).derive(passphrase.encode())
        body = ChaCha20Poly1305(wrap_key).encrypt(bytes(12), file_key, None)
        header = (
            b"age-encryption.org/v1\n"
            + b"-> scrypt "
            + _b64(salt)
            + b" %d\n" % work_factor
            + _b64(body)  # 43 characters: one line, shorter than the 64-column wrap
            + b"\n---"
        )
        mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
        nonce = os.urandom(16)
        out.write(header + b" " + _b64(mac) + b"\n" + nonce)
        self._out = out
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._counter = 0
        self._pending = bytearray()
        self._closed = False

    def write(self, data: bytes) -> int:
        if self._closed:
            raise ValueError("write to a closed age writer")
        self._pending += data
        # Keep at least one byte back: the last chunk is only known at close().
        while len(self._pending) > CHUNK:
            self._seal(bytes(self._pending[:CHUNK]), last=False)
            del self._pending[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._pending), last=True)
            self._pending.clear()
            self._closed = True

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        self._out.write(self._aead.encrypt(nonce, chunk, None))
        self._counter += 1
