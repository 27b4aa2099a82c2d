"""Settings: defaults, the TOML file, KIOSK_* overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.documents import Terms, load
from kiosk.services.bundle import store_config


def _write(tmp_path: Path, body: str) -> dict[str, str]:
    path = tmp_path / "kiosk.toml"
    path.write_text(body)
    return {"KIOSK_CONFIG": str(path), "KIOSK_DATA_DIR": str(tmp_path / "d")}


def test_defaults_live_in_the_data_dir(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, ""))
    assert s.retention.visit_days == 30
    assert s.retention.nda_days == 730
    assert s.retention.health_answers_days == 0
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'kiosk.db'}"
    assert s.resolved_keystore_url == f"sqlite:///{tmp_path / 'd' / 'keystore.db'}"
    assert s.resolved_key_file == tmp_path / "d" / "master.key"


def test_file_then_environment(tmp_path: Path) -> None:
    env = _write(
        tmp_path,
        'site_name = "Lobby A"\ntimezone = "Europe/Amsterdam"\n[retention]\nvisit_days = 14\n',
    )
    s = load_settings(env)
    assert (s.site_name, s.timezone, s.retention.visit_days) == ("Lobby A", "Europe/Amsterdam", 14)
    env |= {"KIOSK_SITE_NAME": "Lobby B", "KIOSK_RETENTION_VISIT_DAYS": "7"}
    s = load_settings(env)
    assert (s.site_name, s.retention.visit_days) == ("Lobby B", 7)


def test_switches_and_lists_from_the_environment(tmp_path: Path) -> None:
    """A service manager sets what the file says with KIOSK_* variables: a switch as
    true/false, yes/no, on/off or 1/0; a list as comma-separated text."""
    env = _write(tmp_path, "")
    for text, value in (("true", True), ("On", True), ("1", True), ("no", False), ("0", False)):
        assert load_settings(env | {"KIOSK_SCREENING_ENABLED": text}).screening.enabled is value
    s = load_settings(
        env
        | {
            "KIOSK_SCREENING_QUESTIONS_EN": "Fever?, Cough?",
            "KIOSK_SCREENING_QUESTIONS_NL": "Koorts?,Hoest?,",
        }
    )
    assert s.screening.questions_en == ("Fever?", "Cough?")
    assert s.screening.questions_nl == ("Koorts?", "Hoest?")


def test_the_audit_lane_reaches_the_store(tmp_path: Path) -> None:
    """[audit] lane (or KIOSK_AUDIT_LANE) is the lane the kiosk's store appends to;
    none set: lane "", where every event went before lanes."""
    env = _write(tmp_path, '[audit]\nlane = "lobby-b"\n')
    assert store_config(load_settings(env)).audit_lane == "lobby-b"
    assert store_config(load_settings(env | {"KIOSK_AUDIT_LANE": "lobby-c"})).audit_lane == (
        "lobby-c"
    )
    assert store_config(load_settings(_write(tmp_path, ""))).audit_lane == ""


def test_postgres_keystore_defaults_to_the_same_database(tmp_path: Path) -> None:
    env = _write(tmp_path, "") | {"KIOSK_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    s = load_settings(env)
    assert s.resolved_keystore_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("body", "env", "message"),
    [
        ("[retention]\nvisit_days = 91\n", {}, r"retention\.visit_days = 91 is outside 1\.\.90"),
        ("[retention]\nhealth_answers_days = 15\n", {}, "health_answers_days = 15"),
        ("colour = 'red'\n", {}, "unknown setting 'colour'"),
        ("[retention]\nforever = 1\n", {}, r"unknown setting 'retention\.forever'"),
        ('[retention]\nvisit_days = "ten"\n', {}, r"retention\.visit_days must be a whole number"),
        ("site_name = 3\n", {}, "site_name must be text"),
        ("", {"KIOSK_RETENTION_VISIT_DAYS": "lots"}, "visit_days must be a whole number"),
        ('[screening]\nenabled = "maybe"\n', {}, r"screening\.enabled must be true or false"),
        ("", {"KIOSK_SCREENING_ENABLED": "maybe"}, "screening.enabled must be true or false"),
        ("[screening]\nquestions_en = 5\n", {}, "questions_en must be a list of texts"),
        ("[screening]\nquestions_en = [1]\n", {}, "questions_en must be a list of texts"),
        ("key_file = 7\n", {}, "key_file must be a path"),
        ("", {"KIOSK_BLIND_INDEX_BITS": "99"}, "blind_index_bits = 99"),
        ('timezone = "Mars/Olympus"\n', {}, "not a known time zone"),
        ('phone_region = "XX"\n', {}, "phone_region 'XX'"),
        ("site_name = \n", {}, "not valid TOML"),
        ('site_id = "Amsterdam HQ"\n', {}, "site_id must be lower-case letters"),
        ("", {"KIOSK_AUDIT_LANE": "Lobby B"}, "audit.lane must be lower-case letters"),
        ('[serve]\ntrusted_proxies = ["proxy"]\n', {}, "'proxy' is not an IP address"),
        ('[printing]\nlogo = "/nonexistent/logo.png"\n', {}, "printing.logo: .* is not a file"),
        ('[printing]\nlabel = "A4"\n', {}, "printing.label 'A4' is neither WxHmm"),
        ('[branding]\naccent = "orange"\n', {}, "branding: accent 'orange' is not a colour"),
        ('[branding]\naccent = "#14171b"\n', {}, "too close to the dark background"),
        ('[branding]\naccent = "#fafafa"\nmode = "light"\n', {}, "to the light background"),
        ('[branding]\nmode = "sepia"\n', {}, "branding: mode must be dark or light"),
        ('[branding]\nlogo = "/nonexistent/logo.svg"\n', {}, "branding.logo: .* cannot be read"),
        ('[branding]\nlogo = "/etc/hostname"\n', {}, "the logo must be a PNG or an SVG"),
        ('[branding]\nname = "   "\n', {}, "branding.name must be at most 60"),
        ("", {"KIOSK_NOTIFY_LANGUAGE": "de"}, "notify.language must be en or nl"),
        ('key_file = "~nosuchuser/master.key"\n', {}, "key_file: ~nosuchuser is not a home"),
        ("", {"KIOSK_DATA_DIR": "~nosuchuser/kiosk"}, "data_dir: ~nosuchuser is not a home"),
        (
            '[notify]\nstarttls = false\nusername = "kiosk"\n',
            {},
            "notify.username needs notify.starttls or notify.tls: the password would be sent",
        ),
    ],
)
def test_bad_settings_name_the_key(
    tmp_path: Path, body: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, body) | env)


def test_missing_config_file_named_by_env_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"KIOSK_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"nda.en.md": "version: 1\nText.\n"},
            "nda.nl.md missing: a document given in one language is needed in all (a copy "
            "of another language's file will do)",
        ),
        (
            {"nda.en.md": "Text without a version.\n", "nda.nl.md": "version: 1\nTekst.\n"},
            "nda.en.md: the first line must be 'version: X' (X 1 to 32 characters)",
        ),
        (
            {
                "privacy.en.md": "version: 1\nWe keep it {period}.\n",
                "privacy.nl.md": "version: 1\n",
            },
            "privacy.en.md: {period} is not a placeholder the kiosk fills (it fills {health}, "
            "{nda_period}, {visit_period}; write {{ or }} for a brace)",
        ),
        (
            {"nda.en.md": "version: 1\neffective: soon\nText.\n", "nda.nl.md": "version: 1\n"},
            "nda.en.md: the 'effective:' line must be a date, YYYY-MM-DD",
        ),
        (
            {"nda.en.md": "version: 1\nA { alone.\n", "nda.nl.md": "version: 1\n"},
            "nda.en.md: a lone { or } (write {{ or }} for one)",
        ),
        (
            {"nda.en.md": b"version: 1\n\xff\n", "nda.nl.md": "version: 1\n"},
            "nda.en.md: not UTF-8 text",
        ),
    ],
)
def test_an_offices_documents_are_checked_at_start(
    tmp_path: Path, files: dict[str, str | bytes], message: str
) -> None:
    """A document the kiosk could not show, or would show in one language only, stops
    start-up naming the file, not the first visitor who reaches it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, body in files.items():
        path = folder / name
        path.write_bytes(body) if isinstance(body, bytes) else path.write_text(body)
    with pytest.raises(ConfigError) as refused:
        load_settings(_write(tmp_path, f"documents_dir = '{folder}'\n"))
    assert str(refused.value).startswith("documents_dir: ")
    assert str(refused.value).endswith(message)
    with pytest.raises(ConfigError, match="is not a folder"):
        load_settings(_write(tmp_path, f"documents_dir = '{tmp_path / 'nowhere'}'\n"))


def test_an_offices_documents_replace_the_built_in_ones_kind_by_kind(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for language in ("en", "nl"):
        (folder / f"privacy.{language}.md").write_text(
            "version: own-1\n# Notice\n\nKept for {visit_period}; {{braces}} stay.\n"
        )
    settings = load_settings(_write(tmp_path, f"documents_dir = '{folder}'\n"))
    own = load("privacy", "nl", Terms(visit_days=14), settings.documents_dir)
    assert (own.version, own.text) == ("own-1", "# Notice\n\nKept for 14 dagen; {braces} stay.")
    built_in = load("nda", "nl", Terms(), settings.documents_dir)  # not given: the kiosk's
    assert built_in == load("nda", "nl", Terms())
    # Read at start: an edit, even one that could not be shown, waits for a restart.
    (folder / "privacy.nl.md").write_text("no version line, a lone {")
    (folder / "privacy.en.md").unlink()
    later = load("privacy", "nl", Terms(visit_days=21), settings.documents_dir)
    assert (later.version, later.text) == ("own-1", "# Notice\n\nKept for 21 dagen; {braces} stay.")
    assert load("privacy", "en", Terms(visit_days=21), settings.documents_dir).version == "own-1"
