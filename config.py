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
    # Several hash keys, newest first, to rotate HASH_KEY: the first makes new keyed hashes,
    # all of them match old ones. When set, HASH_KEY is its first entry.
    HASH_KEYS = _list("HASH_KEYS")
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
    # Where else a complainant can turn, added to every outcome message (e.g. a legal aid line).
    OUTCOME_HELP = os.environ.get("OUTCOME_HELP", "")
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
    # An unsent step-by-step complaint form is forgotten after this many hours untouched.
    FORM_DRAFT_IDLE_HOURS = _int("FORM_DRAFT_IDLE_HOURS", 24)
    # Room for every file at its limit plus the text fields; Flask answers 413 beyond it.
    MAX_CONTENT_LENGTH = UPLOAD_MAX_FILES * UPLOAD_MAX_BYTES + 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # gunicorn's worker count when no --workers is given. memory:// counts per worker and
    # forgets on restart, so production accepts it only when this says one worker.
    WEB_CONCURRENCY = _int("WEB_CONCURRENCY", 0)
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    # Wrong tracking codes are limited per client only: with 120-bit codes a limit per case
    # would protect nothing and would let anyone lock the case's owner out.
    TRACK_LIMIT_PER_CLIENT = os.environ.get("TRACK_LIMIT_PER_CLIENT", "10 per 15 minutes")
    # A case opened with its tracking code closes after this long unused, and this long after
    # it was opened whatever happens (both enforced by the server, not the cookie).
    TRACK_IDLE_MINUTES = _int("TRACK_IDLE_MINUTES", 10)
    # How long a re-post of a filed form (a double click, a reload) shows its receipt again to
    # the browser session that first saw it.
    RECEIPT_REPEAT_MINUTES = _int("RECEIPT_REPEAT_MINUTES", 5)
    TRACK_MAX_MINUTES = _int("TRACK_MAX_MINUTES", 120)
    SUBMIT_LIMIT_PER_CLIENT = os.environ.get("SUBMIT_LIMIT_PER_CLIENT", "20 per hour")
    # Requests per API token (a client without a valid-looking token: per client address).
    API_LIMIT_PER_TOKEN = os.environ.get("API_LIMIT_PER_TOKEN", "120 per minute")

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
    # zxcvbn's estimate (0–4) a new password must reach.
    PASSWORD_MIN_SCORE = _int("PASSWORD_MIN_SCORE", 3)
    # Hours a one-time set-up or reset link works (counted from its approval when it needs one).
    ACCOUNT_LINK_HOURS = _int("ACCOUNT_LINK_HOURS", 48)
    # Who approves granting a case role and resetting such an account: "supervisor" or a
    # second "admin". Never the requester, never the account concerned.
    ACCOUNT_APPROVER_ROLE = os.environ.get("ACCOUNT_APPROVER_ROLE", "supervisor")

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Each language offered, by its code, named in itself. Adding one: README, "Languages".
    LANGUAGES = {"en": "English", "es": "Español", "pt": "Português"}
    # The staff and admin pages' languages (a subset of LANGUAGES; English always).
    STAFF_LANGUAGES = ("en", "es")

    WTF_CSRF_TIME_LIMIT = None  # residents may take a long time to write their account
    # Pages send Referrer-Policy: no-referrer, so browsers send no Referer to check; the
    # token in every form and SameSite session cookies protect the forms.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    # Strict: no other site can make a browser send the staff (or any) session cookie, not
    # even on a top-level link; a resident following a link here simply opens the page fresh.
    SESSION_COOKIE_SAMESITE = "Strict"
    REMEMBER_COOKIE_SAMESITE = "Strict"
    SESSION_COOKIE_NAME = "session"
    PREFERRED_URL_SCHEME = "https"
    TRUST_PROXY = _bool("TRUST_PROXY", False)

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse settings that cannot work; subclasses add their own checks."""
        if config.get("ACCOUNT_APPROVER_ROLE", "supervisor") not in ("supervisor", "admin"):
            raise RuntimeError("ACCOUNT_APPROVER_ROLE must be supervisor or admin")


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
        if config.get("ACCOUNT_APPROVER_ROLE", "supervisor") not in ("supervisor", "admin"):
            problems.append("ACCOUNT_APPROVER_ROLE must be supervisor or admin")
        problems += _secret_problems("SECRET_KEY", [config.get("SECRET_KEY") or ""])
        hash_name = "HASH_KEYS" if config.get("HASH_KEYS") else "HASH_KEY"
        problems += _secret_problems(hash_name, config.get("HASH_KEYS") or [config.get("HASH_KEY")])
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
        else:
            problems += _secret_problems("ENCRYPTION_KEYS", config["ENCRYPTION_KEYS"])
        problems += _reused_secret_problems(config)
        if config.get("DEBUG"):
            problems.append("FLASK_DEBUG must be off in production")
        if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://") and (
            config.get("WEB_CONCURRENCY") != 1
        ):
            problems.append(
                "RATELIMIT_STORAGE_URI is memory://, which counts per worker and forgets on "
                "restart: point it at Redis (redis://HOST:6379), or set WEB_CONCURRENCY=1 "
                "if exactly one worker of one instance serves the app"
            )
        if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite://") and not (
            os.environ.get("ALLOW_SQLITE_IN_PRODUCTION")
        ):
            problems.append("DATABASE_URL must point at PostgreSQL in production")
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems) + ".")


# At least ~80 bits by zxcvbn's estimate: a random 32-character key scores about 10^32,
# repeated or sequential characters, keyboard walks and words score far below.
MIN_SECRET_GUESSES_LOG10 = 24
MIN_SECRET_LENGTH = 32


def secret_weakness(value: str) -> str | None:
    """Why ``value`` is too weak to be a key, or None. Refuses short values, and values
    that zxcvbn can guess (repeats such as "aaaa…" or "abab…", runs such as "0123…",
    keyboard walks, dictionary words, repeated or not). Never echoes the value."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    from zxcvbn import zxcvbn

    # zxcvbn reads at most 72 characters; a strong key is strong from its first 72.
    guesses = zxcvbn(value[:72])["guesses_log10"]
    if guesses < MIN_SECRET_GUESSES_LOG10:
        return "is too easy to guess (repeated or sequential characters, or words)"
    return None


def _secret_problems(name: str, values: list) -> list[str]:
    problems = []
    if not any(values):
        return [f"{name} must be set to a random value of at least {MIN_SECRET_LENGTH} characters"]
    for position, value in enumerate(values, start=1):
        why = secret_weakness(str(value or "").strip())
        if why:
            which = f"entry {position} of {name}" if len(values) > 1 else name
            problems.append(
                f"{which} {why}: generate one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    return problems


def _reused_secret_problems(config: dict) -> list[str]:
    """One value serving as two keys would tie them: rotating or leaking one is both."""
    named: list[tuple[str, str]] = [("SECRET_KEY", str(config.get("SECRET_KEY") or ""))]
    hash_keys = config.get("HASH_KEYS") or [config.get("HASH_KEY") or ""]
    named += [("HASH_KEYS" if config.get("HASH_KEYS") else "HASH_KEY", str(k)) for k in hash_keys]
    named += [("ENCRYPTION_KEYS", str(k)) for k in config.get("ENCRYPTION_KEYS") or []]
    seen: dict[str, str] = {}
    problems = []
    for name, value in named:
        value = value.strip()
        if not value:
            continue
        if value in seen:
            pair = sorted({seen[value], name})
            where = f"{pair[0]} and {pair[1]}" if len(pair) == 2 else f"{name} twice"
            problems.append(f"the same value is used as two keys ({where}): give each its own")
        else:
            seen[value] = name
    return problems


def settle_hash_keys(config: dict) -> None:
    """Make ``HASH_KEYS`` the list of hash keys (newest first) and ``HASH_KEY`` its first
    entry, whichever of the two settings was given."""
    listed = [str(k).strip() for k in config.get("HASH_KEYS") or [] if str(k).strip()]
    if listed:
        config["HASH_KEYS"] = listed
        config["HASH_KEY"] = listed[0]
    elif config.get("HASH_KEY"):
        config["HASH_KEYS"] = [config["HASH_KEY"]]


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
