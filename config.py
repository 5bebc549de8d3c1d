"""Settings for every environment.

Every value can be overridden from the environment. Secrets never have working defaults in
production: ``ProductionConfig.validate`` refuses to start without them.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _date(name: str, default: str) -> date:
    raw = os.environ.get(name) or default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a date like 2026-01-01, got {raw!r}") from exc


def _list(name: str) -> list[str]:
    raw = os.environ.get(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()]


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Keyed hashes (tracking codes, contact matching) use their own key so that rotating the
    # session key does not lock residents out of their cases.
    HASH_KEY = os.environ.get("HASH_KEY", "")
    # AES-256-GCM keys, base64, newest first; the first one encrypts, all of them decrypt.
    ENCRYPTION_KEYS = _list("ENCRYPTION_KEYS")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'complaints.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    CITY_NAME = os.environ.get("CITY_NAME", "Springfield")
    OFFICE_NAME = os.environ.get("OFFICE_NAME", "Office of Civil Rights")
    POLICY_TITLE = os.environ.get("POLICY_TITLE", "Trust Act")
    REPORTING_START = _date("REPORTING_START", "2026-01-01")
    TIMEZONE = os.environ.get("TIMEZONE", "America/New_York")
    ACK_DAYS = _int("ACK_DAYS", 5)
    URGENT_ACK_HOURS = _int("URGENT_ACK_HOURS", 4)
    INVESTIGATION_DAYS = _int("INVESTIGATION_DAYS", 90)
    URGENT_HOTLINE = os.environ.get("URGENT_HOTLINE", "")
    SUPPRESSION_THRESHOLD = _int("SUPPRESSION_THRESHOLD", 5)
    RETENTION_DAYS = _int("RETENTION_DAYS", 365 * 3)
    REFERENCE_PREFIX = os.environ.get("REFERENCE_PREFIX", "TA")

    NARRATIVE_MAX_CHARS = _int("NARRATIVE_MAX_CHARS", 20000)
    UPLOAD_MAX_FILES = _int("UPLOAD_MAX_FILES", 5)
    UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_PDF_PAGES = _int("UPLOAD_MAX_PDF_PAGES", 50)
    # Each file is opened in a child process with these limits (memory, CPU, wall clock).
    UPLOAD_SANDBOX_MEMORY_MB = _int("UPLOAD_SANDBOX_MEMORY_MB", 1024)
    UPLOAD_SANDBOX_CPU_SECONDS = _int("UPLOAD_SANDBOX_CPU_SECONDS", 10)
    UPLOAD_SANDBOX_SECONDS = _int("UPLOAD_SANDBOX_SECONDS", 15)
    # Files kept between attempts at a form are removed after this many hours.
    PENDING_FILES_HOURS = _int("PENDING_FILES_HOURS", 24)
    # Room for every file at its limit plus the text fields; Flask answers 413 beyond it.
    MAX_CONTENT_LENGTH = UPLOAD_MAX_FILES * UPLOAD_MAX_BYTES + 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    TRACK_LIMIT_PER_CLIENT = os.environ.get("TRACK_LIMIT_PER_CLIENT", "10 per 15 minutes")
    TRACK_LIMIT_PER_REFERENCE = os.environ.get("TRACK_LIMIT_PER_REFERENCE", "20 per hour")
    SUBMIT_LIMIT_PER_CLIENT = os.environ.get("SUBMIT_LIMIT_PER_CLIENT", "20 per hour")

    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
    LOGIN_LIMIT_PER_CLIENT = os.environ.get("LOGIN_LIMIT_PER_CLIENT", "30 per 15 minutes")
    # Roles that must sign in with a second factor (TOTP); any staff role may be added.
    TOTP_REQUIRED_ROLES = _list("TOTP_REQUIRED_ROLES") or ["supervisor", "records", "admin"]
    # argon2id cost; the defaults are argon2-cffi's recommended profile (RFC 9106, low memory).
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_KIB = _int("ARGON2_MEMORY_KIB", 65536)
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 4)
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = _int("SESSION_MAX_HOURS", 12)

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = {"en": "English"}

    WTF_CSRF_TIME_LIMIT = None  # residents may take a long time to write their account
    # Pages send Referrer-Policy: no-referrer, so browsers send no Referer to check; the
    # token in every form and SameSite session cookies protect the forms.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "session"
    PREFERRED_URL_SCHEME = "https"
    TRUST_PROXY = _bool("TRUST_PROXY", False)

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse settings that cannot work; subclasses add their own checks."""


class DevelopmentConfig(Config):
    """Local use: secrets are generated once and kept under ``instance/``."""

    ENV_NAME = "development"
    DEBUG = _bool("FLASK_DEBUG", False)
    PREFERRED_URL_SCHEME = "http"


class TestingConfig(Config):
    """The test suite: secrets are made per run, rate limits stay on (they are tested)."""

    ENV_NAME = "testing"
    TESTING = True
    PREFERRED_URL_SCHEME = "http"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    # Most tests sign staff in with a password only; the two-factor tests switch the
    # production default (Config.TOTP_REQUIRED_ROLES) back on for themselves.
    TOTP_REQUIRED_ROLES: list[str] = []
    # Cheaper hashing keeps the suite fast; the algorithm and the code path are the same.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 8192
    ARGON2_PARALLELISM = 1
    UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    MAX_CONTENT_LENGTH = Config.UPLOAD_MAX_FILES * 2 * 1024 * 1024 + 1024 * 1024


class ProductionConfig(Config):
    """Served to the public: refuses to start with anything missing or unsafe."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def validate(cls, config: dict) -> None:
        """Raise ``RuntimeError`` naming every missing or unsafe setting."""
        problems = []
        if len(config.get("SECRET_KEY") or "") < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if len(config.get("HASH_KEY") or "") < 32:
            problems.append("HASH_KEY must be set to a random value of at least 32 characters")
        if not config.get("ENCRYPTION_KEYS"):
            problems.append(
                "ENCRYPTION_KEYS must list at least one base64 AES-256 key "
                "(generate one with: flask --app wsgi keys generate)"
            )
        elif not all(_is_aes256_key(key) for key in config["ENCRYPTION_KEYS"]):
            # Caught here rather than at the first complaint, which would fail to save.
            problems.append(
                "ENCRYPTION_KEYS holds a value that is not a base64 AES-256 key (32 bytes)"
            )
        if config.get("DEBUG"):
            problems.append("FLASK_DEBUG must be off in production")
        if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite://") and not (
            os.environ.get("ALLOW_SQLITE_IN_PRODUCTION")
        ):
            problems.append("DATABASE_URL must point at PostgreSQL in production")
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems) + ".")


def _is_aes256_key(value: object) -> bool:
    """Whether ``value`` is a key the app can encrypt with (checked as the app reads keys)."""
    from complaints_app.crypto import decode_key

    try:
        decode_key(value)  # type: ignore[arg-type]
    except (RuntimeError, AttributeError, TypeError):
        return False
    return True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by ``APP_ENV`` (default: development)."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
