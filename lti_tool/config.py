"""Configuration: defaults, LTI_TOOL_* environment variables, validation at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

PREFIX = "LTI_TOOL_"


class ConfigError(click.ClickException):
    """A setting is missing or bad; the message names it and says how to fix it.

    A ClickException, so `flask --app lti_tool …` prints the message without a traceback."""

    exit_code = 2


@dataclass(frozen=True)
class Setting:
    name: str  # without the LTI_TOOL_ prefix
    help: str
    default: Any = None
    kind: type = str


# Every setting the tool reads, with the sentence shown when it is wrong.
SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", "a long random string (at least 32 characters) that signs launch tokens; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"),
    Setting("DATABASE_URL", "a SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@host/db; "
            "default: SQLite in the instance folder"),
    Setting("BASE_URL", "the public https URL of the tool, e.g. https://mentoring.example.org "
            "(http is accepted only for localhost)", "http://127.0.0.1:5000"),
    Setting("TOOL_NAME", "the name shown to platforms and learners", "Reverse Mentoring"),
    Setting("KEY_OVERLAP_DAYS", "how many days a retired tool key stays published (whole number)",
            7, int),
    Setting("LAUNCH_TOKEN_MINUTES", "minutes a launch token stays valid without activity", 120, int),
    Setting("JWKS_CACHE_SECONDS", "seconds a platform key set is cached when the platform sends no "
            "Cache-Control (whole number)", 3600, int),
    Setting("MAX_CONTENT_LENGTH", "largest accepted request body in bytes", 2 * 1024 * 1024, int),
    Setting("ENV", "production, development or testing", "production"),
    Setting("ADMIN_TOKEN", "a long random string that unlocks the /admin pages (leave unset to "
            "disable them)"),
    Setting("CONTENT_DIR", "folder holding content/modules and content/badges", None),
    Setting("ROSTER_SYNC_MINUTES", "minimum minutes between two roster syncs of one course", 15, int),
    Setting("KEY_ENCRYPTION_KEY", "a separate long random string to encrypt signing keys at rest "
            "(default: derived from LTI_TOOL_SECRET_KEY)"),
    Setting("PROGRAM_DAYS", "length of a mentoring program in days, from the pair's start "
            "(mid-point and completion badges)", 180, int),
    Setting("TIMEZONE", "the program's default time zone for availability, e.g. Europe/Rome",
            "UTC"),
    Setting("SERVICE_TIMEOUT_SECONDS", "seconds to wait for the LMS's grade and roster services",
            10, int),
    Setting("GRADES_LEASE_SECONDS", "seconds a grade worker holds a score before another may "
            "retry it (at least twice the service timeout)", 120, int),
    Setting("GRADES_BACKOFF_MAX_SECONDS", "longest wait between two delivery attempts of a score",
            600, int),
)


def _instance_secret(instance_path: str) -> str | None:
    path = Path(instance_path) / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def load_config(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Read LTI_TOOL_* settings from `environ`, validate them, and return Flask config keys.

    Raises ConfigError naming every bad or missing setting.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(PREFIX + s.name)
        if raw is None or raw == "":
            values[s.name] = s.default
            continue
        if s.kind is int:
            try:
                values[s.name] = int(raw)
            except ValueError:
                problems.append(f"{PREFIX}{s.name}={raw!r} is not a whole number: {s.help}.")
                continue
            if values[s.name] < 0:
                problems.append(f"{PREFIX}{s.name} must not be negative: {s.help}.")
        else:
            values[s.name] = raw

    env = values["ENV"]
    if env not in ("production", "development", "testing"):
        problems.append(f"{PREFIX}ENV={env!r} is not one of production, development, testing.")

    secret = values["SECRET_KEY"] or _instance_secret(instance_path)
    if not secret:
        problems.append(
            f"{PREFIX}SECRET_KEY is not set (and there is no {instance_path}/secret_key file): "
            + next(s.help for s in SETTINGS if s.name == "SECRET_KEY") + "."
        )
    elif len(secret) < 32:
        problems.append(f"{PREFIX}SECRET_KEY is too short ({len(secret)} characters): use at least 32.")

    base_url = str(values["BASE_URL"]).rstrip("/")
    parts = urlsplit(base_url)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        problems.append(f"{PREFIX}BASE_URL={base_url!r} is not a bare URL like https://tool.example.org.")
    elif parts.scheme == "http" and not local:
        problems.append(f"{PREFIX}BASE_URL={base_url!r} must use https (LMS iframes need secure cookies).")

    db_url = values["DATABASE_URL"] or "sqlite:///" + str(Path(instance_path) / "lti_tool.sqlite")
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    if not db_url.startswith(("sqlite:", "postgresql+psycopg:")):
        problems.append(f"{PREFIX}DATABASE_URL must be a sqlite:/// or postgresql:// URL.")

    if values["GRADES_LEASE_SECONDS"] < 2 * values["SERVICE_TIMEOUT_SECONDS"]:
        problems.append(f"{PREFIX}GRADES_LEASE_SECONDS must be at least twice "
                        f"{PREFIX}SERVICE_TIMEOUT_SECONDS, or two workers could post one score.")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(values["TIMEZONE"]))
    except (KeyError, ValueError):
        problems.append(f"{PREFIX}TIMEZONE={values['TIMEZONE']!r} is not a known time zone "
                        "(e.g. Europe/Rome).")

    if problems:
        raise ConfigError("The tool cannot start:\n  - " + "\n  - ".join(problems))

    content_dir = values["CONTENT_DIR"] or str(Path(__file__).resolve().parent.parent / "content")
    return {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True} if db_url.startswith("postgresql") else {},
        "MAX_CONTENT_LENGTH": values["MAX_CONTENT_LENGTH"],
        "TOOL_BASE_URL": base_url,
        "TOOL_NAME": values["TOOL_NAME"],
        "TOOL_ENV": env,
        "KEY_OVERLAP_DAYS": values["KEY_OVERLAP_DAYS"],
        "LAUNCH_TOKEN_MINUTES": values["LAUNCH_TOKEN_MINUTES"],
        "JWKS_CACHE_SECONDS": values["JWKS_CACHE_SECONDS"],
        "ADMIN_TOKEN": values["ADMIN_TOKEN"],
        "CONTENT_DIR": content_dir,
        "ROSTER_SYNC_MINUTES": values["ROSTER_SYNC_MINUTES"],
        "KEY_ENCRYPTION_KEY": values["KEY_ENCRYPTION_KEY"],
        "BADGES_PROGRAM_DAYS": values["PROGRAM_DAYS"],
        "PAIRS_TIMEZONE": values["TIMEZONE"],
        "LTI_SERVICE_TIMEOUT": values["SERVICE_TIMEOUT_SECONDS"],
        "GRADES_HTTP_TIMEOUT": values["SERVICE_TIMEOUT_SECONDS"],
        "GRADES_LEASE_SECONDS": values["GRADES_LEASE_SECONDS"],
        "GRADES_BACKOFF_MAX": values["GRADES_BACKOFF_MAX_SECONDS"],
        "TESTING": env == "testing",
        # Cookies are only a convenience (the launch token travels in URLs and forms), but when
        # they are set they must survive an LMS iframe: SameSite=None; Secure; Partitioned.
        "SESSION_COOKIE_SECURE": base_url.startswith("https"),
        "SESSION_COOKIE_SAMESITE": "None" if base_url.startswith("https") else "Lax",
    }
