"""The scripting CLI, run as a real process, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len

from storage.open import StoreConfig
from tests.helpers.factories import cli_settings, run_cli

NAME = "Quixote Fakevisitor"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kiosk(store_config: StoreConfig, tmp_path: Path) -> Run:
    def run(
        *args: str, ok: bool | None = True, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """``ok``: True, it must succeed; False, fail with one line; None, either."""
        proc = run_cli(store_config, tmp_path, *args, stdin=stdin)
        if ok:
            assert proc.returncode == 0, proc.stderr
        elif ok is False:
            assert proc.returncode != 0
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return proc

    return run


def test_check_in_log_and_check_out(kiosk: Run) -> None:
    run = kiosk
    run("hosts", "add", "Hostina Placeholder", "--email", "hostina@example.com")
    out = run(
        "checkin",
        "--name",
        NAME,
        "--email",
        "quix@example.org",
        "--company",
        "=1+2",
        "--host",
        "hostina",
        "--accept-nda",
    ).stdout
    visit_line, badge_line = out.splitlines()
    assert visit_line.startswith("visit ")
    code = badge_line.split()[1]
    table = run("log").stdout
    assert NAME in table and "Hostina Placeholder" in table and "on site" in table
    rows = list(csv.DictReader(io.StringIO(run("log", "--format", "csv").stdout)))
    assert rows[0]["company"] == "'=1+2"
    assert json.loads(run("log", "--format", "json", "--search", "QUIX").stdout)[0]["name"] == NAME
    assert json.loads(run("log", "--format", "json", "--search", "nobody").stdout) == []
    assert "checked out" in run("checkout", code.lower()).stdout
    assert "left" in run("log").stdout
    again = run("checkout", code, ok=False)
    assert "already been checked out" in again.stderr
    unknown = run("checkout", "AAAA-BBBB-CCCC", ok=False)
    assert "no visit has this badge code" in unknown.stderr


def test_a_host_several_names_hold_is_refused_not_kept_as_typed(kiosk: Run) -> None:
    """``--host`` with a part of a name: the one host whose name holds it, a name no host
    has as typed, and a part several hosts' names hold refused (nobody to notify)."""
    kiosk("hosts", "add", "Piet Jansen")
    kiosk("hosts", "add", "Zoë Janssens")
    visitor = ("--name", NAME, "--phone", "+31205550123", "--type", "delivery")
    refused = kiosk("checkin", *visitor, "--host", "jans", ok=False)
    assert refused.returncode == 2
    assert "host: several hosts' names hold this part of a name" in refused.stderr
    invite = ("invite", *visitor, "--date", "2099-01-01")
    assert "several hosts" in kiosk(*invite, "--host", "JANS", ok=False).stderr
    kiosk("checkin", *visitor, "--host", "zoe")
    kiosk("checkin", *visitor, "--host", "Jan Smit")
    hosts = [row["host"] for row in json.loads(kiosk("log", "--format", "json").stdout)]
    assert sorted(hosts) == ["Jan Smit", "Zoë Janssens"]


def test_bad_input_is_one_clear_line(kiosk: Run) -> None:
    run = kiosk
    bad = run("checkin", "--name", NAME, "--email", "nope", "--accept-nda", ok=False)
    assert "email: Please enter a valid e-mail address." in bad.stderr
    assert NAME not in bad.stderr
    nda = run("checkin", "--name", NAME, "--phone", "+31205550123", ok=False)
    assert "non-disclosure agreement" in nda.stderr and "--accept-nda" in nda.stderr
    ok = run("checkin", "--name", NAME, "--phone", "+31205550123", "--type", "delivery")
    assert ok.stdout.startswith("visit ")
    # Wrong options and values too: one line that says where to look, exit code 2.
    date = run("log", "--date", "2026-02-30", ok=False)
    assert "2026-02-30 is not a day of the calendar" in date.stderr
    assert "kiosk log --help" in date.stderr and date.returncode == 2
    words = run("invite", "--name", NAME, "--email", "q@example.org", "--date", "tomorrow",
                ok=False)  # fmt: skip
    assert "'tomorrow' is not a date: write it as YYYY-MM-DD" in words.stderr
    assert "is not a moment" in run("purge", "--as-of", "noon", ok=False).stderr
    assert "--as-of YYYY-MM-DD[THH:MM[:SS]]" in run("purge", "--help").stdout
    assert "%Y" not in run("audit", "show", "--help").stdout
    missing = run("checkout", ok=False)
    assert "give a badge code, or --overdue" in missing.stderr
    assert missing.stderr.count("\n") == 1 and missing.returncode == 2
    assert "Missing argument 'NAME'" in run("hosts", "add", ok=False).stderr
    assert "No such command" in run("chekin", ok=False).stderr


def test_pipes_separators_formulas_and_unknown_hosts(
    kiosk: Run, store_config: StoreConfig, tmp_path: Path
) -> None:
    """`kiosk log | head -1` ends quietly; a line separator is no part of a name; a cell a
    spreadsheet would run (a fullwidth equals sign, a leading |) is neutralised; a host nobody in
    the directory has is a warning, not silence."""
    for name, company in ((NAME, "\uff1dHYPERLINK(1)"), ("Zed Fakeperson", "|calc")):
        kiosk("checkin", "--name", name, "--phone", "+31205550123", "--company", company,
              "--type", "delivery")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(kiosk("log", "--format", "csv").stdout)))
    assert sorted(r["company"] for r in rows) == ["'|calc", "'\uff1dHYPERLINK(1)"]
    split = kiosk("checkin", "--name", "Quixote\u2028Fake", "--phone", "+31205550123",
                  "--type", "delivery", ok=False)  # fmt: skip
    assert split.returncode == 2 and split.stderr.startswith("kiosk: error: name:")
    invited = kiosk("invite", "--name", NAME, "--email", "q@example.org", "--date",
                    "2026-12-24", "--host", "Nobody Here")  # fmt: skip
    assert invited.stderr == (
        "kiosk: warning: no host named 'Nobody Here' in the directory: kept as typed, and "
        "nobody is notified\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    piped = subprocess.run(  # the reader has gone before the log is written
        ["bash", "-c", f'"{sys.executable}" -m kiosk log | true; echo "${{PIPESTATUS[0]}}"'],
        env=env | cli_settings(store_config, tmp_path), cwd=Path(__file__).parent,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert (piped.stderr, piped.stdout) == ("", "141\n")


def test_purge_rotate_and_upgrade(kiosk: Run, store_config: StoreConfig) -> None:
    run = kiosk
    run("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    assert "database is up to date" in run("db", "upgrade").stdout
    old_key = store_config.key_file.read_bytes()
    rotated = run("keys", "rotate").stdout
    assert "re-wrapped 2 data key(s)" in rotated
    assert store_config.key_file.read_bytes() != old_key
    assert store_config.key_file.stat().st_mode & 0o777 == 0o600
    assert NAME in run("log").stdout
    dry = run("purge", "--dry-run", "--as-of", "2099-01-01").stdout
    assert dry.startswith("periods in force: visit_days 30, health_answers_days 0, nda_days 730")
    assert "visits: would remove 1" in dry
    assert NAME in run("log").stdout
    done = run("purge", "--as-of", "2099-01-01").stdout
    assert "visits: removed 1" in done and "visit keys: destroyed 1" in done
    assert NAME not in run("log").stdout


def test_backup(kiosk: Run, store_config: StoreConfig, tmp_path: Path) -> None:
    run = kiosk
    run("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    records, keys = tmp_path / "records", tmp_path / "keys"
    records.mkdir()
    keys.mkdir()
    if "sqlite" not in store_config.database_url:
        err = run("backup", "--records", str(records), ok=False).stderr
        assert "pg_dump" in err and not list(records.iterdir())
        return
    out = run("backup", "--records", str(records), "--keystore", str(keys)).stdout.splitlines()
    [copy] = records.iterdir()
    [key_copy] = keys.iterdir()
    assert out == [
        f"records: {copy} (1 visit(s), {copy.stat().st_size / 1e6:.1f} MB)",
        f"key store: {key_copy} (2 data key(s))",
        f"the master key is in neither copy: keep {store_config.key_file} safe, apart from both",
    ]
    err = run("backup", "--records", str(copy), ok=False).stderr
    assert "exists already" in err


def test_status_for_monitoring(kiosk: Run, store_config: StoreConfig) -> None:
    """Exit 1 and an attention line while something needs doing; facts, never data."""
    run = kiosk
    run("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    before = run("status", ok=None)
    assert before.returncode == 1 and before.stderr == ""
    assert "attention: no purge in the last 25 hours" in before.stdout
    run("purge")
    after = run("status").stdout
    labels = [line.split(":", 1)[0] for line in after.splitlines()]
    disk = ["disk"] if "sqlite" in store_config.database_url else []  # the database's disk
    assert labels == ["visits held", "never checked out", "rights requests overdue",
                      "sent to reception today", "last purge", "last records backup",
                      "last key store backup", "badge printer", "e-mails", "hosts",
                      "staff accounts", *disk,
                      "audit trail"]  # fmt: skip
    assert NAME not in after and "quix" not in after
    data = json.loads(run("status", "--format", "json").stdout)
    assert data["ok"] is True and data["visits_held"] == 1 and data["attention"] == []
    assert data["rights_requests_overdue"] == 0
    assert data["audit_trail"] == {"intact": True, "checked": 2}
    assert data["hosts"] == {"active": 0, "sharing_a_name": 0}
    assert data["staff_accounts"] == {"reception": 0, "security": 0, "admin": 0, "locked": 0}


def test_wrong_key_is_one_line_and_exit_code(kiosk: Run, store_config: StoreConfig) -> None:
    run = kiosk
    run("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    store_config.key_file.write_bytes(os.urandom(32))
    err = run("log", ok=False).stderr
    assert err.startswith("kiosk: error: the master key in")


def test_staff_accounts(kiosk: Run) -> None:
    kiosk("staff", "add", "ada", "--role", "admin", "--pin-stdin", stdin="135790\n")
    assert "ada  admin" in kiosk("staff", "list").stdout
    short = kiosk(
        "staff", "add", "bob", "--role", "reception", "--pin-stdin", stdin="12\n", ok=False
    )
    assert "at least 6 digits" in short.stderr
    again = kiosk(
        "staff", "add", "ada", "--role", "admin", "--pin-stdin", stdin="135790\n", ok=False
    )
    assert "already exists" in again.stderr
    kiosk("staff", "remove", "ada")
    assert "ada" not in kiosk("staff", "list").stdout


def test_invite_prints_a_code(kiosk: Run) -> None:
    out = kiosk("invite", "--name", NAME, "--email", "quix@example.org", "--date", "2099-01-01")
    assert out.stdout.startswith("invitation ")
    past = kiosk(
        "invite", "--name", NAME, "--email", "quix@example.org", "--date", "2000-01-01", ok=False
    )
    assert "in the past" in past.stderr


def test_hosts_import_and_staff_reset_pin(kiosk: Run, tmp_path: Path) -> None:
    csv_file = tmp_path / "hosts.csv"
    csv_file.write_text("name,email\nHostina Placeholder,hostina@example.com\nHubert Host,\n")
    assert "2 added, 0 updated" in kiosk("hosts", "import", str(csv_file)).stdout
    assert "0 added, 2 updated" in kiosk("hosts", "import", str(csv_file)).stdout
    listed = kiosk("hosts", "list").stdout
    assert "Hostina Placeholder  hostina@example.com" in listed and "Hubert Host" in listed
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nOkay Name,not-an-address\n")
    assert "line 2" in kiosk("hosts", "import", str(bad), ok=False).stderr
    weak = kiosk(
        "staff", "add", "rita", "--role", "reception", "--pin-stdin", stdin="111111\n", ok=False
    )
    assert "too easy to guess" in weak.stderr
    kiosk("staff", "add", "rita", "--role", "reception", "--pin-stdin", stdin="482915\n")
    kiosk("staff", "reset-pin", "rita", "--pin-stdin", stdin="730164\n")
    assert "too short" not in kiosk("staff", "list").stdout
    kiosk("staff", "unlock", "rita")
    assert "unlocked rita" in kiosk("staff", "unlock", "rita").stdout


def test_hosts_carry_the_language_of_their_emails(kiosk: Run, tmp_path: Path) -> None:
    """A CSV may give each host's e-mail language; a re-import without one keeps it; a
    language the kiosk does not speak stops the import at its line, importing nothing."""
    csv_file = tmp_path / "hosts.csv"
    csv_file.write_text(
        "name,email,language\nHostina Placeholder,hostina@example.com,NL\nHubert Host,,\n"
    )
    assert "2 added, 0 updated" in kiosk("hosts", "import", str(csv_file)).stdout
    kiosk("hosts", "add", "Hosmer Example", "--language", "en")
    again = tmp_path / "again.csv"
    again.write_text("name,language\nHostina Placeholder,\n")
    assert "0 added, 1 updated" in kiosk("hosts", "import", str(again)).stdout
    listed = kiosk("hosts", "list").stdout.splitlines()
    assert [line.split("  ")[1:] for line in listed] == [
        ["Hosmer Example", "", "en"],
        ["Hostina Placeholder", "hostina@example.com", "nl"],
        ["Hubert Host"],
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,language\nOkay Name,nl\nOther Name,de\n")
    refused = kiosk("hosts", "import", str(bad), ok=False)
    assert "line 3" in refused.stderr and "en, nl" in refused.stderr
    assert "Okay Name" not in kiosk("hosts", "list").stdout
    unknown = kiosk("hosts", "add", "Otto Name", "--language", "de", ok=False)
    assert unknown.returncode == 2 and "Otto Name" not in kiosk("hosts", "list").stdout


def test_hosts_add_refuses_a_name_a_visitor_could_not_tell_apart(kiosk: Run) -> None:
    kiosk("hosts", "add", "Hubert Host", "--email", "hubert@example.com")
    refused = kiosk("hosts", "add", "HUBERT  HOST", ok=False)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == (
        "kiosk: error: A host with this name is already in the directory (active): edit "
        "that host, or add what tells them apart, such as a department.\n"
    )
    kiosk("hosts", "add", "Hubert Host (Sales)")
    assert [line.split("  ")[1] for line in kiosk("hosts", "list").stdout.splitlines()] == [
        "Hubert Host",
        "Hubert Host (Sales)",
    ]
    added = kiosk("audit", "show", "--action", "host.add").stdout.splitlines()
    assert len(added) == 2 and all(" os:" in line for line in added)
    assert "Hubert" not in "".join(added) and "example.com" not in "".join(added)


def test_rights_requests_show_export_restrict_and_erase(kiosk: Run, tmp_path: Path) -> None:
    run = kiosk
    for company in ("First Fictional", "Second Fictional"):
        run("checkin", "--name", NAME, "--phone", "020 555 0199", "--company", company,
            "--type", "delivery")  # fmt: skip
    run("checkin", "--name", "Other Fakeperson", "--phone", "+31205550123", "--type", "delivery")
    run("invite", "--name", NAME, "--phone", "0205550199", "--date", "2099-01-02")
    shown = run("rights", "show", "+31 20 555 0199").stdout
    assert shown.count(NAME) == 2
    assert shown.strip().endswith("2 visit(s), 0 NDA acceptance(s), 1 invitation(s)")
    out = tmp_path / "held.json"
    assert "wrote 2 visit(s)" in run("rights", "export", "0205550199", "--output", str(out)).stdout
    held = json.loads(out.read_text())
    assert {v["company"] for v in held["visits"]} == {"First Fictional", "Second Fictional"}
    assert [i["expected_day"] for i in held["invitations"]] == ["2099-01-02"]
    assert "exists" in run("rights", "export", "0205550199", "--output", str(out), ok=False).stderr
    assert "2 visit(s) restricted" in run("rights", "restrict", "0205550199").stdout
    assert shown.count("(restricted)") == 0
    assert run("rights", "show", "0205550199").stdout.count("(restricted)") == 2
    bad = run("rights", "show", "not a number", ok=False)
    assert "phone" in bad.stderr
    assert "Aborted" in run("rights", "erase", "0205550199", stdin="n\n", ok=False).stderr
    erased = run("rights", "erase", "0205550199", "--yes").stdout
    assert "erased 2 visit(s)" in erased and "1 invitation(s)" in erased
    assert (
        "0 visit(s), 0 NDA acceptance(s), 0 invitation(s)"
        in run("rights", "show", "0205550199").stdout
    )
    assert "1 visit(s)" in run("rights", "show", "+31205550123").stdout
    events = run("audit", "show", "--action", "person.erase").stdout
    assert "os:" in events and NAME not in events and "0199" not in events


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_a_finished_command_leaves_everything_in_the_database_file(
    kiosk: Run, store_config: StoreConfig
) -> None:
    """Every connection closes when a command ends, so SQLite folds its WAL back into the
    database file and removes it: a copy of kiosk.db taken then holds the check-in."""
    visit_id = kiosk("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    data = store_config.key_file.parent
    assert not (data / "kiosk.db-wal").exists()
    assert not (data / "keystore.db-wal").exists()
    copy = data.parent / "copy.db"
    copy.write_bytes((data / "kiosk.db").read_bytes())
    conn = sqlite3.connect(copy)
    ids = [row[0] for row in conn.execute("SELECT id FROM visits")]
    conn.close()
    assert ids == [visit_id.stdout.split()[1].replace("-", "")]


def test_reading_a_day_or_the_on_site_list_is_audited(kiosk: Run) -> None:
    kiosk("checkin", "--name", NAME, "--email", "quix@example.org", "--accept-nda")
    assert NAME in kiosk("log").stdout
    assert NAME not in kiosk("log", "--search", "nobody-by-this-name").stdout
    assert NAME in kiosk("onsite").stdout
    viewed = kiosk("audit", "show", "--action", "log.view").stdout.splitlines()
    assert len(viewed) == 2 and all(" os:" in line for line in viewed)
    assert viewed[0].endswith('"shown": 1, "visits": 1}')
    assert viewed[1].endswith('"shown": 0, "visits": 1}')
    [onsite] = kiosk("audit", "show", "--action", "onsite.view").stdout.splitlines()
    assert onsite.endswith('{"people": 1}') and NAME not in onsite


def test_the_log_and_the_on_site_list_line_up_wide_characters(kiosk: Run) -> None:
    """A name in Japanese takes two terminal cells a character: `kiosk log` and `kiosk
    onsite` (the evacuation list) pad by cells, so every column starts where its title
    does, whatever the names."""
    run = kiosk
    run("hosts", "add", "Hostina Placeholder")
    for name, company in (
        ("山田太郎", "株式会社テスト"),
        ("Johnathan Alexander Worthington-Smythe", "Acme"),
    ):
        run("checkin", "--name", name, "--email", f"{len(name)}@example.org",
            "--company", company, "--host", "hostina", "--accept-nda")  # fmt: skip
    companies = ("株式会社テスト", "Acme")
    for command, last_title in (("log", "host"), ("onsite", "since")):
        lines = run(command).stdout.splitlines()
        if command == "onsite":
            assert lines.pop(0) == "On site now: 2"
        else:
            assert lines.pop() == "2 visit(s)"
        titles, *rows = lines
        assert len(rows) == 2, rows
        for row in rows:
            company = next(c for c in companies if c in row)
            last = "Hostina" if command == "log" else row.split()[-2]  # the day since
            for title, value in (("company", company), (last_title, last)):
                assert cell_len(row[: row.index(value)]) == cell_len(
                    titles[: titles.index(title)]
                ), (command, title, titles, row)


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_version_and_a_port_in_use_say_so_in_one_line(kiosk: Run) -> None:
    assert kiosk("--version").stdout.strip() == "kiosk, version 0.1.0"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = kiosk("serve", "--port", str(port), ok=False)
    assert refused.returncode == 2 and "Serving" not in refused.stdout
    assert refused.stderr.strip() == (
        f"kiosk: error: cannot listen on 127.0.0.1:{port}: the port is in use "
        "(another kiosk serve, or another server)"
    )
