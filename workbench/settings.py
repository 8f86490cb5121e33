"""Settings for the workbench, all read from the environment.

With nothing set, the app runs on an embedded default: a SQLite file and a
filesystem Celery broker under ``DATA_DIR``, so a new machine needs no server.
Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY`` and friends
(see README.md for the full list).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """An empty variable counts as unset, so `FOO= make test` means the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Importing the settings creates nothing: DATA_DIR is made when a file is first written there
# (the generated secret key, `make migrate`, the filesystem broker when Celery starts).
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    """Use SECRET_KEY when given; otherwise a random key kept in DATA_DIR.

    A generated key survives restarts of one installation (sessions stay valid)
    without any key ever living in the repository.
    """
    if key := env_str("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "annotations.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "annotations.middleware.QueryStringGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workbench.urls"
WSGI_APPLICATION = "workbench.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "annotations.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,  # a kept connection the server dropped is replaced, not used
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web and worker) share the file: wait for the lock rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Writers take the lock when their transaction starts, so a read-then-write transaction
    # waits for the other process instead of failing with "database is locked" (link checks).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # Run on each new connection. WAL lets readers go on beside the writer, and with
    # synchronous=NORMAL a commit writes the log without waiting for the disk (a power cut
    # may lose the latest commits, never the file): the link checks commit many small
    # transactions from several processes. "PRAGMA journal_mode=DELETE" goes back to the default.
    DATABASES["default"]["OPTIONS"]["init_command"] = env_str(
        "SQLITE_INIT_COMMAND", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
    )

# Login-failure and token-failure counts live here: Redis in production (shared by every
# web process), this process's memory otherwise.
CACHE_URL = env_str("CACHE_URL", "locmem://")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The language analysts write rationales in (BCP 47), stored with each rationale and given
# as its language in exports (not the article's); English, like the interface, by default.
RATIONALE_LANGUAGE = env_str("RATIONALE_LANGUAGE", "en")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))  # made by collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "annotations.staticfiles.ModuleManifestStaticFilesStorage"
        )
    },
    # Archived copies of cited pages (WARC files, see ARCHIVE_* below). Any Django storage
    # backend will do (object storage included): swap the backend here, no code changes.
    "snapshots": {
        "BACKEND": env_str(
            "ARCHIVE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": (
            {"location": env_str("ARCHIVE_DIR", str(DATA_DIR / "snapshots"))}
            if not env_str("ARCHIVE_STORAGE_BACKEND")
            else {}
        ),
    },
    # Files of background export jobs; swappable the same way.
    "exports": {
        "BACKEND": env_str("EXPORT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": (
            {"location": env_str("EXPORT_DIR", str(DATA_DIR / "exports"))}
            if not env_str("EXPORT_STORAGE_BACKEND")
            else {}
        ),
    },
}

# --- Login throttling (django-axes) ---------------------------------------------------------
# After LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one address, that
# username or address is locked out of /accounts/login/ and /admin/login/ for
# LOGIN_LOCKOUT_MINUTES. Unlock early: `manage.py axes_reset_username NAME`,
# `manage.py axes_reset_ip ADDRESS`, or delete the access attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "annotations.throttling.client_address"
AXES_LOCKOUT_TEMPLATE = "annotations/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
# Behind https: send plain-http visitors to https, and tell browsers to keep to it. Off by
# default so `make run` works over http; the compose file turns both on.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The container healthcheck asks over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# No page of the desk uses these browser features; nothing embedded may either.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# The desk itself, as it signs exported fact-checks.
DESK_NAME = env_str("DESK_NAME", "Fact-checking desk")
# The public fact-check pages' Cache-Control max-age (seconds), so a CDN can serve them; an
# unpublished page is stale at most this long. A 404 or 410 is kept for a tenth of it at most
# (PUBLIC_GONE_MAX_AGE), so republishing shows soon.
PUBLIC_PAGE_MAX_AGE = env_int("PUBLIC_PAGE_MAX_AGE", 300)
PUBLIC_GONE_MAX_AGE = env_int("PUBLIC_GONE_MAX_AGE", min(30, PUBLIC_PAGE_MAX_AGE))
if PUBLIC_PAGE_MAX_AGE < 0 or PUBLIC_GONE_MAX_AGE < 0:
    raise ImproperlyConfigured("PUBLIC_PAGE_MAX_AGE and PUBLIC_GONE_MAX_AGE must be 0 or more.")
# DESK_URL: the public address the desk is served at (its origin, e.g.
# https://factcheck.example.org/). Public fact-check pages, the feed, the sitemap and
# ClaimReview's url are built from it, so production must say it: with DEBUG off the web
# server and the Celery worker refuse to start without it (``workbench.startup``). DEBUG,
# the tests and tools that only read the settings (mypy, makemigrations) get the default.
DESK_URL_DEFAULT = "http://localhost:8000/"
DESK_URL_GIVEN = bool(env_str("DESK_URL"))
DESK_URL = env_str("DESK_URL", DESK_URL_DEFAULT)
if not DESK_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"DESK_URL={DESK_URL!r} must start with http:// or https://.")
if not DESK_URL.endswith("/"):
    DESK_URL += "/"

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made when the Celery app is finalized (workbench/celery.py).
    _broker_dir = DATA_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange tables (remote control, pidbox); kombu's default is ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task is bounded: the soft limit raises SoftTimeLimitExceeded inside the task, the hard
# limit kills the worker process. Tasks with limits of their own (the link checks) keep them.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT + 60)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT must be above 0 and below CELERY_TASK_TIME_LIMIT "
        f"(got {CELERY_TASK_SOFT_TIME_LIMIT} and {CELERY_TASK_TIME_LIMIT})."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # It logs an ERROR for every page it finds no article in; the check handles that.
        "trafilatura": {"level": "CRITICAL"},
    },
}

# --- Source-link checks (annotations.linkcheck) ---------------------------------------------
# Times are in seconds. Hosts in LINKCHECK_ALLOWED_HOSTS (names, addresses or networks such as
# 10.1.0.0/16) bypass the address policy; by default every non-public address is refused.
LINKCHECK_FRESHNESS = env_int("LINKCHECK_FRESHNESS", 3600)
LINKCHECK_RECHECK_AGE = env_int("LINKCHECK_RECHECK_AGE", 7 * 24 * 3600)
# "Check again" in the annotator (POST /api/v1/source-links/{id}/recheck/): per user, DRF's
# rate syntax ("10/min", "100/hour"), counted in the default cache.
LINKCHECK_USER_RECHECK_RATE = env_str("LINKCHECK_USER_RECHECK_RATE", "10/min")
LINKCHECK_SWEEP_INTERVAL = env_int("LINKCHECK_SWEEP_INTERVAL", 600)
LINKCHECK_SWEEP_BATCH = env_int("LINKCHECK_SWEEP_BATCH", 500)
LINKCHECK_REQUEST_GRACE = env_int("LINKCHECK_REQUEST_GRACE", 900)
# A forced re-check of a link checked, queued or being checked this recently is coalesced.
LINKCHECK_FORCE_COALESCE = env_int("LINKCHECK_FORCE_COALESCE", 60)
LINKCHECK_PER_HOST = env_int("LINKCHECK_PER_HOST", 2)
LINKCHECK_HOST_WAIT = env_int("LINKCHECK_HOST_WAIT", 10)
LINKCHECK_BATCH_SIZE = env_int("LINKCHECK_BATCH_SIZE", 20)
LINKCHECK_CONNECT_TIMEOUT = env_int("LINKCHECK_CONNECT_TIMEOUT", 5)
LINKCHECK_READ_TIMEOUT = env_int("LINKCHECK_READ_TIMEOUT", 10)
LINKCHECK_TOTAL_TIMEOUT = env_int("LINKCHECK_TOTAL_TIMEOUT", 30)
LINKCHECK_MAX_BODY_BYTES = env_int("LINKCHECK_MAX_BODY_BYTES", 2 * 1024 * 1024)
LINKCHECK_MAX_REDIRECTS = env_int("LINKCHECK_MAX_REDIRECTS", 10)
LINKCHECK_MAX_HEADERS = env_int("LINKCHECK_MAX_HEADERS", 100)
LINKCHECK_MAX_HEADER_LINE = env_int("LINKCHECK_MAX_HEADER_LINE", 8192)
LINKCHECK_ALLOWED_HOSTS = env_list("LINKCHECK_ALLOWED_HOSTS")
# "Changed" compares the article's main text (trafilatura); off, only the visible text is
# hashed and compared, as before (the comparison rules of linkcheck.record handle both).
LINKCHECK_MAIN_TEXT = env_bool("LINKCHECK_MAIN_TEXT", True)
LINKCHECK_MAX_RETRIES = env_int("LINKCHECK_MAX_RETRIES", 4)
LINKCHECK_RETRY_BASE = env_int("LINKCHECK_RETRY_BASE", 30)
LINKCHECK_RETRY_MAX = env_int("LINKCHECK_RETRY_MAX", 1800)
LINKCHECK_USER_AGENT = env_str(
    "LINKCHECK_USER_AGENT",
    f"FactcheckWorkbench-LinkChecker/0.1 (source-link check; +{DESK_URL})",
)
# Per-host limit store: Redis when the broker is Redis (or LINKCHECK_REDIS_URL is set),
# otherwise the database; LINKCHECK_REDIS_URL=database forces the database.
LINKCHECK_REDIS_URL = env_str(
    "LINKCHECK_REDIS_URL",
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)
if LINKCHECK_REDIS_URL == "database":
    LINKCHECK_REDIS_URL = ""
LINKCHECK_LIMIT_PREFIX = env_str("LINKCHECK_LIMIT_PREFIX", "linkcheck")
LINKCHECK_SOFT_TIME_LIMIT = env_int("LINKCHECK_SOFT_TIME_LIMIT", LINKCHECK_TOTAL_TIMEOUT + 30)
LINKCHECK_TIME_LIMIT = env_int("LINKCHECK_TIME_LIMIT", LINKCHECK_SOFT_TIME_LIMIT + 30)
# --- Wayback Machine submissions (annotations.wayback) -----------------------------------------
# On when both keys are set (https://archive.org/account/s3.php): each newly cited link is also
# sent to Save Page Now 2. The limits are SPN2's published ones for an authenticated account
# (12 captures a minute, counted over the last 60 s); WAYBACK_MAX_ACTIVE is ours, to stay clear
# of its "limit of active sessions".
WAYBACK_ACCESS_KEY = env_str("WAYBACK_ACCESS_KEY")
WAYBACK_SECRET_KEY = env_str("WAYBACK_SECRET_KEY")
WAYBACK_API_URL = env_str("WAYBACK_API_URL", "https://web.archive.org").rstrip("/")
WAYBACK_IF_NOT_ARCHIVED_WITHIN = env_str("WAYBACK_IF_NOT_ARCHIVED_WITHIN", "1h")
# Further SPN2 capture options, e.g. "capture_screenshot=1,capture_all=1".
WAYBACK_CAPTURE_OPTIONS = env_list("WAYBACK_CAPTURE_OPTIONS", "skip_first_archive=1")
WAYBACK_CAPTURES_PER_MINUTE = env_int("WAYBACK_CAPTURES_PER_MINUTE", 12)
WAYBACK_MAX_ACTIVE = env_int("WAYBACK_MAX_ACTIVE", 4)
WAYBACK_POLL_INTERVAL = env_int("WAYBACK_POLL_INTERVAL", 15)
WAYBACK_POLL_TIMEOUT = env_int("WAYBACK_POLL_TIMEOUT", 900)
WAYBACK_TIMEOUT = env_int("WAYBACK_TIMEOUT", 30)
WAYBACK_MAX_RETRIES = env_int("WAYBACK_MAX_RETRIES", 5)
WAYBACK_RETRY_BASE = env_int("WAYBACK_RETRY_BASE", 60)
WAYBACK_RETRY_MAX = env_int("WAYBACK_RETRY_MAX", 3600)
WAYBACK_SWEEP_INTERVAL = env_int("WAYBACK_SWEEP_INTERVAL", 900)
WAYBACK_USER_AGENT = env_str(
    "WAYBACK_USER_AGENT", f"FactcheckWorkbench-Wayback/0.1 (citation archiving; +{DESK_URL})"
)
# Archived copies: each check that reads a page (ok or redirected) keeps it as a WARC file in
# the "snapshots" storage. Bodies are kept up to ARCHIVE_MAX_BODY_BYTES (never more than the
# fetch reads, LINKCHECK_MAX_BODY_BYTES), cut and marked beyond; a link's files together stay
# under ARCHIVE_QUOTA_PER_LINK bytes (the oldest unpinned copies go first); of an unchanged
# page the latest ARCHIVE_KEEP_UNCHANGED captures are kept (pinned ones always).
ARCHIVE_ENABLED = env_bool("ARCHIVE_ENABLED", True)
ARCHIVE_MAX_BODY_BYTES = env_int("ARCHIVE_MAX_BODY_BYTES", 2 * 1024 * 1024)
ARCHIVE_QUOTA_PER_LINK = env_int("ARCHIVE_QUOTA_PER_LINK", 50 * 1024 * 1024)
ARCHIVE_KEEP_UNCHANGED = env_int("ARCHIVE_KEEP_UNCHANGED", 5)
if ARCHIVE_KEEP_UNCHANGED < 1:
    raise ImproperlyConfigured("ARCHIVE_KEEP_UNCHANGED must be at least 1.")
# A page whose copy could not be stored (disk full, permission denied) is checked again after
# ARCHIVE_RETRY_DELAY seconds, the wait doubling with each failure in a row, never longer than
# the regular re-check (LINKCHECK_RECHECK_AGE).
ARCHIVE_RETRY_DELAY = env_int("ARCHIVE_RETRY_DELAY", 600)
# A queue name of its own lets test runs and several desks share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Deleted claims stay restorable (undo, the admin) this long, then the purge removes them.
CLAIM_DELETED_RETENTION_DAYS = env_int("CLAIM_DELETED_RETENTION_DAYS", 30)
# The review desk: blind double-checking for articles that do not set it themselves.
BLIND_REVIEW_DEFAULT = env_bool("BLIND_REVIEW_DEFAULT", False)
CLAIM_PURGE_INTERVAL = env_int("CLAIM_PURGE_INTERVAL", 6 * 3600)
CELERY_BEAT_SCHEDULE = {
    "linkcheck-sweep": {
        "task": "annotations.tasks.sweep_source_links",
        "schedule": LINKCHECK_SWEEP_INTERVAL,
    },
    "purge-deleted-claims": {
        "task": "annotations.tasks.purge_deleted_claims",
        "schedule": CLAIM_PURGE_INTERVAL,
    },
    "wayback-sweep": {
        "task": "annotations.tasks.sweep_wayback_captures",
        "schedule": WAYBACK_SWEEP_INTERVAL,
    },
    "purge-export-jobs": {
        "task": "annotations.tasks.purge_export_jobs",
        "schedule": CLAIM_PURGE_INTERVAL,
    },
}

# --- REST API (annotations/api) ----------------------------------------------------------
# Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotations.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["annotations.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "annotations.api.schema.DeskAutoSchema",
    "EXCEPTION_HANDLER": "annotations.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The address DRF sees: the proxy's entry when behind one, else the socket's.
    "NUM_PROXIES": 1 if SECURE_PROXY_SSL_HEADER else 0,
}
# Wrong API tokens one address may present (count/second, minute, hour or day) before every
# token from it is refused for the rest of the window; empty turns the brake off.
API_TOKEN_FAILURE_RATE = env_str("API_TOKEN_FAILURE_RATE", "20/min")
# Largest request body the API parses; a bigger one gets 413.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 262_144)
# Deepest nesting of arrays and objects a JSON body may have; deeper is a 400.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
# Claims per database round trip when streaming an export.
EXPORT_CHUNK_SIZE = env_int("EXPORT_CHUNK_SIZE", 500)
# json/jsonl records are stored once built (annotations.exports.stored); beat builds the
# ones changes cleared every EXPORT_RECORD_REFRESH_INTERVAL seconds, at most
# EXPORT_RECORD_REFRESH_LIMIT a run, so the next export reads them instead of building them.
EXPORT_RECORD_REFRESH_INTERVAL = env_int("EXPORT_RECORD_REFRESH_INTERVAL", 60)
EXPORT_RECORD_REFRESH_LIMIT = env_int("EXPORT_RECORD_REFRESH_LIMIT", 100_000)
CELERY_BEAT_SCHEDULE["refresh-export-records"] = {
    "task": "annotations.tasks.refresh_export_records",
    "schedule": EXPORT_RECORD_REFRESH_INTERVAL,
}
# Claim imports: records written per bulk round trip, and records listed in a report.
IMPORT_CHUNK_SIZE = env_int("IMPORT_CHUNK_SIZE", 1000)
IMPORT_REPORT_LIMIT = env_int("IMPORT_REPORT_LIMIT", 1000)
IMPORT_MAX_BODY_BYTES = env_int("IMPORT_MAX_BODY_BYTES", 1_073_741_824)
# Background export jobs (POST /api/v1/export/jobs): the longest one may run, in seconds,
# and how long its file is kept. Files go to the "exports" storage (STORAGES above).
EXPORT_JOB_TIME_LIMIT = env_int("EXPORT_JOB_TIME_LIMIT", 6 * 3600)
EXPORT_JOB_RETENTION_DAYS = env_int("EXPORT_JOB_RETENTION_DAYS", 7)
# Adding articles: the languages the detector chooses among (ISO 639-1 codes, likeliest
# first is decided by the text). Links are fetched under the LINKCHECK_* policy and limits.
ARTICLE_LANGUAGES = env_list("ARTICLE_LANGUAGES", "ru,uk,en")
# Annotations per page of the W3C AnnotationCollection export.
W3C_PAGE_SIZE = env_int("W3C_PAGE_SIZE", 1000)
# The schema and the docs pages need a login unless this opens them to everyone.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Fact-checking workbench API",
    "DESCRIPTION": "Articles, claims, evidence, source links and exports of the desk.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The system's fonts: Redoc's own (Roboto, Montserrat) would come from the internet.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, sans-serif",
                "headings": {"fontFamily": "system-ui, sans-serif"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotations.api.schema.allow_empty_query_values",
    ],
    "ENUM_NAME_OVERRIDES": {
        "VerdictEnum": "annotations.models.Verdict",
        "StanceEnum": "annotations.models.Stance",
        "LinkOutcomeEnum": "annotations.models.LinkOutcome",
    },
}

# --- Web UI -------------------------------------------------------------------------------
LOGOUT_REDIRECT_URL = "login"
# How often the annotator asks whether an evidence link's check has finished.
ANNOTATOR_POLL_MS = env_int("ANNOTATOR_POLL_MS", 3000)

# --- Discussion and notifications -----------------------------------------------------------
# The longest comment on a claim, in characters.
COMMENT_MAX_LENGTH = env_int("COMMENT_MAX_LENGTH", 5000)
# Notifications are also emailed, after the write commits, to recipients with an address.
# EMAIL_BACKEND: SMTP when EMAIL_HOST is set, else the console (DEBUG) or nothing at all.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.dummy.EmailBackend"
    ),
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "workbench@localhost")

# Same-claim matching (annotations.matching): the score a suggestion needs, how many
# candidates the index hands to the scorer, and the scorer (a dotted path to a class).
MATCH_THRESHOLD = env_float("MATCH_THRESHOLD", 0.14)
MATCH_CANDIDATES = env_int("MATCH_CANDIDATES", 50)
MATCH_QUERY_TERMS = env_int("MATCH_QUERY_TERMS", 12)
MATCH_ENCODER = env_str("MATCH_ENCODER", "annotations.matching.encoders.LexicalEncoder")
