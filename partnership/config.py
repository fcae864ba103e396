"""Configuration, read from environment variables only.

`create_app` picks a class by `PARTNERSHIP_ENV` (development, test, production).
"""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _sqlalchemy_url(url: str) -> str:
    """Let people write the usual `postgres://` URLs; we talk to PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEVELOPMENT_SECRET = "development-only-not-secret"  # noqa: S105


class Config:
    PARTNERSHIP_ENV = "development"
    PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "North Valley Partnership")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET)
    SQLALCHEMY_DATABASE_URI = _sqlalchemy_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'partnership.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    LIVE_CHANNEL = os.environ.get("LIVE_CHANNEL", "partnership:events")
    LIVE_HEARTBEAT_SECONDS = 15.0
    # A stream that missed more events than this is told to reload, not sent them all.
    LIVE_REPLAY_LIMIT = max(1, int(os.environ.get("LIVE_REPLAY_LIMIT", "1000")))
    # The shared cache (partnership/cache.py). CACHE_TYPE None: Redis when REDIS_URL is
    # set, else in-process. CACHE_SECONDS: the longest anything is kept, changes or none.
    CACHE_TYPE: str | None = None
    CACHE_SECONDS = int(os.environ.get("CACHE_SECONDS", "60"))
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "partnership:cache:")
    # How many days a referral left part made is kept since its last answer.
    DRAFT_KEEP_DAYS = int(os.environ.get("DRAFT_KEEP_DAYS", "30"))

    # No form or API body needs more: a larger one is refused with 413 before it is read.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))

    STRICT_TRANSPORT_SECURITY: str | None = None  # production sends HSTS (served over TLS)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # bound to the session instead, so long forms don't expire

    # Argon2id at the OWASP ASVS minimum (m=19 MiB, t=2, p=1): about 27 ms a sign-in here.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", str(19 * 1024)))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))

    # A session ends after this long without a request, and this long after sign-in whatever.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    # Two-step sign-in is always asked of admins; this asks it of everyone. Production
    # turns it on unless told otherwise; the demo and tests keep sign-in simple.
    PARTNERSHIP_REQUIRE_TWO_STEP = os.environ.get("PARTNERSHIP_REQUIRE_TWO_STEP", "") == "on"
    # Admins hold everyone's accounts in their hands: always two-step, except in the demo
    # (development) and the tests, which keep signing in with a password alone.
    TWO_STEP_FOR_ADMINS = True
    # How long a new API token works unless its maker chooses otherwise.
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
    # How many reverse proxies stand in front of the app and set X-Forwarded-*: only then are
    # those headers believed (for the client's address, say). None by default.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)

    SIGN_IN_ATTEMPTS = 5
    SIGN_IN_LOCKOUT = timedelta(minutes=15)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "30 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    # While Redis is down the limits are counted in each process's memory: sign-in goes on
    # working, still limited, rather than failing with the limiter's storage.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = False
    TWO_STEP_FOR_ADMINS = os.environ.get("TWO_STEP_FOR_ADMINS", "") == "on"


class TestConfig(Config):
    PARTNERSHIP_ENV = "test"
    TESTING = True
    REDIS_URL = None  # tests choose their broker explicitly
    CACHE_TYPE = "SimpleCache"  # in-process; a test that needs Redis asks for it
    SECRET_KEY = "test-only-not-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = True
    # The limiter stays on, as in production, with a limit no ordinary test reaches.
    RATELIMIT_SIGN_IN = "10000 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    # Sign-in stays a password alone whatever the environment says; the tests of the
    # two-step rules turn these on.
    PARTNERSHIP_REQUIRE_TWO_STEP = False
    TWO_STEP_FOR_ADMINS = False


class ProductionConfig(Config):
    PARTNERSHIP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Tracebacks never print SQL parameters: they hold residents' names and messages.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    PARTNERSHIP_REQUIRE_TWO_STEP = os.environ.get("PARTNERSHIP_REQUIRE_TWO_STEP", "on") == "on"
    # Browsers keep to HTTPS for a year once they have seen this.
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real secret and a real database."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production needs these environment variables: " + ", ".join(missing)
            )
        if os.environ["SECRET_KEY"] == DEVELOPMENT_SECRET or len(os.environ["SECRET_KEY"]) < 32:
            raise RuntimeError("SECRET_KEY must be a random value of at least 32 characters")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
