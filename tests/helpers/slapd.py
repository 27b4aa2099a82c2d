"""A real OpenLDAP server (Debian's slapd) for the directory sync's tests: a throw-away
configuration and database in a temporary directory, on free loopback ports (ldap://
with StartTLS, and ldaps://), its certificate from a trustme CA; entries are written
with ldap-utils' ldapmodify, as an administrator would."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import trustme

from tests.helpers.factories import free_port

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "slapd-test-admin-pw"
READER_DN = f"cn=kiosk-reader,{SUFFIX}"
READER_PW = "reader-test-pw-0123"
PEOPLE = f"ou=people,{SUFFIX}"


def slapd_missing() -> str | None:
    """Why the directory tests cannot run here, or None."""
    if not Path(SLAPD).exists():
        return "Debian's slapd is not installed (apt-get install slapd ldap-utils)"
    if shutil.which("ldapmodify") is None:
        return "ldap-utils is not installed (apt-get install ldap-utils)"
    return None


class Slapd:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()  # ldap:// (StartTLS offered)
        self.tls_port = free_port()  # ldaps://
        self.proc: subprocess.Popen[bytes] | None = None
        self.ca_file = directory / "ca.pem"

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def start(self) -> None:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.cert_chain_pems[0].write_to_path(str(self.dir / "cert.pem"))
        cert.private_key_pem.write_to_path(str(self.dir / "key.pem"))
        (self.dir / "db").mkdir()
        config = self.dir / "slapd.conf"
        config.write_text(
            "include /etc/ldap/schema/core.schema\n"
            "include /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/inetorgperson.schema\n"
            "modulepath /usr/lib/ldap\n"
            "moduleload back_mdb\n"
            f"pidfile {self.dir}/slapd.pid\n"
            f"TLSCACertificateFile {self.ca_file}\n"
            f"TLSCertificateFile {self.dir}/cert.pem\n"
            f"TLSCertificateKeyFile {self.dir}/key.pem\n"
            "database mdb\n"
            "maxsize 10485760\n"
            f"suffix {SUFFIX}\n"
            f"rootdn {ROOT_DN}\n"
            f"rootpw {ROOT_PW}\n"
            f"directory {self.dir}/db\n"
            f'access to attrs=userPassword by dn.exact="{ROOT_DN}" write by anonymous auth'
            " by * none\n"
            "access to * by users read by * none\n"
        )
        self.proc = subprocess.Popen(
            [SLAPD, "-f", str(config), "-h", f"{self.url}/ {self.ldaps_url}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while True:
            probe = subprocess.run(
                ["ldapwhoami", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                self.stop()
                raise RuntimeError(f"slapd did not start: {err[-2000:]}")
            time.sleep(0.1)
        self.modify(
            f"dn: {SUFFIX}\nchangetype: add\nobjectClass: dcObject\nobjectClass: organization\n"
            "o: Example\ndc: example\n\n"
            f"dn: {PEOPLE}\nchangetype: add\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: {READER_DN}\nchangetype: add\nobjectClass: person\n"
            "objectClass: simpleSecurityObject\n"
            f"cn: kiosk-reader\nsn: reader\nuserPassword: {READER_PW}\n"
        )

    def modify(self, ldif: str) -> None:
        """Apply LDIF (with changetype lines) as the directory's administrator."""
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW],
            input=ldif.encode(),
            capture_output=True,
            check=True,
        )

    def add_person(
        self, uid: str, name: str, mail: str | None, language: str | None = None
    ) -> None:
        lines = [
            f"dn: uid={uid},{PEOPLE}",
            "changetype: add",
            "objectClass: inetOrgPerson",
            f"uid: {uid}",
            f"cn: {name}",
            f"sn: {name.split()[-1]}",
            f"displayName: {name}",
        ]
        if mail:
            lines.append(f"mail: {mail}")
        if language:
            lines.append(f"preferredLanguage: {language}")
        self.modify("\n".join(lines) + "\n")

    def replace(self, uid: str, attribute: str, value: str) -> None:
        self.modify(
            f"dn: uid={uid},{PEOPLE}\nchangetype: modify\nreplace: {attribute}\n"
            f"{attribute}: {value}\n"
        )

    def delete(self, uid: str) -> None:
        self.modify(f"dn: uid={uid},{PEOPLE}\nchangetype: delete\n")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
