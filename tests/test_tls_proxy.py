"""The served kiosk behind a real TLS reverse proxy (Debian's nginx, a certificate made
here), opened by Chromium at the public host name: the welcome screen, a check-in and a
check-out by typed badge code, and no request or websocket to any other address.

Once with the public address configured (``--public-url``), once found from the
X-Forwarded-Host and -Proto of the proxy, trusted by its address. nginx passes the
kiosk's own address as Host, so a page built from Host would point the tablet at
127.0.0.1: the test sees it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import sync_playwright

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, decode_qr, needs_chromium
from tests.helpers.factories import free_port
from tests.helpers.waiting import wait_until_sync
from tests.test_browser import NAME, _act, _open_kiosk, _start_server, _stop_server, _wait_departed

PUBLIC = "kiosk.lobby.example.com"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(
        not Path(NGINX).exists(),
        reason="no nginx (apt-get install nginx-light); .ci/run installs it",
    ),
]


def _certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for PUBLIC: its file, its key's file, and the base64
    SHA-256 of its public key (what Chromium is told to trust, and nothing else)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PUBLIC)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(PUBLIC)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert_file, key_file, base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _nginx_conf(folder: Path, port: int, upstream: int, cert: Path, key: Path) -> Path:
    """The proxy set-up of docs/installation.md, on loopback: TLS, the websocket's
    upgrade, the forwarded headers."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers read this folder
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
  access_log {folder}/access.log;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name {PUBLIC};
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 1h;
    }}
  }}
}}
"""
    )
    return conf


@pytest.fixture
def nginx_in_front(tmp_path: Path) -> Iterator[tuple[int, int, str]]:
    """nginx on a free port proxying to a free port for the kiosk: (its port, the
    kiosk's port, the certificate's public key hash)."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key, spki = _certificate(folder)
    port, upstream = free_port(), free_port()
    conf = _nginx_conf(folder, port, upstream, cert, key)
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not (folder / "nginx.pid").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"nginx did not start: {out}")
            time.sleep(0.1)
        yield port, upstream, spki
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("found_by", ["public-url", "trusted-proxy"])
def test_a_tablet_checks_in_and_out_through_the_tls_proxy(
    nginx_in_front: tuple[int, int, str], tmp_path: Path, found_by: str
) -> None:
    port, upstream, spki = nginx_in_front
    public = f"https://{PUBLIC}:{port}/"
    config = tmp_path / "kiosk.toml"
    config.write_text('site_name = "Fictional Lobby"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(tmp_path / "data")}
    how = ("--public-url", public) if found_by == "public-url" else ("--trusted-proxy", "127.0.0.1")
    server = _start_server(upstream, env, *how)
    addresses: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    f"--host-resolver-rules=MAP {PUBLIC} 127.0.0.1",
                    f"--ignore-certificate-errors-spki-list={spki}",
                ],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: addresses.append(r.url))
            page.on("websocket", lambda ws: addresses.append(ws.url))
            _open_kiosk(page, public)
            assert page.title() == "Fictional Lobby"
            _act(page, "Enter")  # "Check in"
            _act(page, "Enter")  # "I am 16 or older" (asked first) has the focus
            _act(page, "Tab", text=NAME)
            _act(page, "Enter", text="wilhelmina@example.com")
            _act(page, "Enter")  # the privacy notice
            _act(page, "Enter", text=NAME)  # the NDA, signed
            codes = wait_until_sync(lambda: decode_qr(page.screenshot()), timeout=30, every=0.3)
            assert len(codes) == 1, "no QR code on the badge"
            _act(page, "Enter")  # Done
            _act(page, "Tab", "Enter")  # "Check out"
            _act(page, "Enter", text=codes[0])  # typed, as a scanner or a person does
            assert _wait_departed(env) is not None, "the typed badge code did not check out"
            browser.close()
    finally:
        _stop_server(server)

    assert any(a.startswith(f"wss://{PUBLIC}:{port}/") for a in addresses), addresses
    elsewhere = {
        f"{urlsplit(a).scheme}://{urlsplit(a).netloc}"
        for a in addresses
        if not a.startswith("data:")
    }
    assert elsewhere <= {f"https://{PUBLIC}:{port}", f"wss://{PUBLIC}:{port}"}, elsewhere
