"""The one settings module of civicgrid.

Everything that differs between a laptop demo and a city's production servers comes from
environment variables read through the typed helpers below; a malformed value fails loudly at
start-up instead of being silently replaced by a default.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from civicgrid.core import csp

PACKAGE_DIR = Path(__file__).resolve().parent


def _default_home() -> Path:
    """Where the data lives when CIVICGRID_HOME is not set — never the current directory.

    A source checkout (src/civicgrid with pyproject.toml two levels up): the checkout's root, so
    `make demo` keeps its data in <checkout>/var. An installed package: the Python environment it is
    installed in (sys.prefix, i.e. the virtualenv), so the data is in <venv>/var.
    """
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "pyproject.toml").is_file() and PACKAGE_DIR.parent.name == "src":
        return checkout
    return Path(sys.prefix)


# Every path below is absolute and the same from whatever directory a command is run.
BASE_DIR = Path(os.environ.get("CIVICGRID_HOME") or _default_home()).resolve()
VAR_DIR = BASE_DIR / "var"


def env_path(name: str, default: Path) -> Path:
    """An absolute path from NAME (relative values are taken from CIVICGRID_HOME), else the default."""
    raw = os.environ.get(name)
    return (BASE_DIR / raw).resolve() if raw else default.resolve()


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secret(name: str, default: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (docker/k8s secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_secret_list(name: str) -> list[str]:
    """Secrets from NAME (comma-separated) or from the file named by NAME_FILE (one a line)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    return env_list(name, [])


DEBUG = env_bool("DEBUG", False)
# The demo value is refused when DEBUG is off (core/checks.py); rotation: docs/SECURITY.md.
SECRET_KEY = env_secret("SECRET_KEY", "civicgrid-demo-secret-change-me-in-production-0123456789")
SECRET_KEY_FALLBACKS = env_secret_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "axes",
    "captcha",
    "auditlog",
    "civicgrid.core",
    "civicgrid.accounts",
    "civicgrid.grids",
    "civicgrid.taxonomy",
    "civicgrid.worktime",
    "civicgrid.notifications",
    "civicgrid.audit",
    "civicgrid.cases",
    "civicgrid.analytics",
    "civicgrid.points",
    "civicgrid.codes",
    "civicgrid.mobile",
    "civicgrid.console",
    "civicgrid.dashboard",
    "civicgrid.maps",
    "civicgrid.gazetteer",
    "civicgrid.classifier",
    "civicgrid.hotspots",
    "civicgrid.replyquality",
    "civicgrid.webhooks",
    "civicgrid.exports",
    "civicgrid.open311",
    "civicgrid.volunteers",
    "civicgrid.evaluation",
    "civicgrid.demo",
]

MIDDLEWARE = [
    "civicgrid.core.requestid.RequestIdMiddleware",
    # Outside everything else so that it logs the status the caller finally gets (errors included).
    "civicgrid.audit.middleware.ApiCallLogMiddleware",
    "civicgrid.monitoring.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "civicgrid.core.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "civicgrid.accounts.middleware.StaffSessionMiddleware",
    "civicgrid.accounts.middleware.SecondFactorMiddleware",
    "civicgrid.core.middleware.PrivateNoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "civicgrid.core.middleware.ControlCharacterMiddleware",
    "civicgrid.audit.middleware.AuditlogMiddleware",  # who made a model change (audit: model changes)
    "civicgrid.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked sign-in into the lockout page
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in WAL mode is the embedded default. synchronous=FULL makes a commit durable before the
# 201 goes out, so an acknowledged report survives a killed process or a power cut.
# BEGIN IMMEDIATE takes the write lock up front so concurrent writers queue instead of failing
# with "database is locked" half-way through a transaction.
SQLITE_PATH = env_path("SQLITE_PATH", VAR_DIR / "civicgrid.sqlite3")
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's PostgreSQL backend, whose flush may empty the append-only tables (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "civicgrid.core.postgresql"
    # An acknowledged report must be on disk before the 201 goes out, whatever the server default.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=on"
    # Lets the statements on the path of every request be prepared once per connection
    # (core/rawsql.prepared_cursor); Django's own cursors bind on the client and never prepare.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
    # One test database per test process, so that two test runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, with writers queued on a file lock (core/sqlite/base.py).
            "ENGINE": "civicgrid.core.sqlite",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            # Keep the connection across requests, as for PostgreSQL: opening one and running the
            # PRAGMAs above cost more than the whole of a cheap request (measured: bench/intake.py).
            "CONN_MAX_AGE": 600,
            # Tests use a file too: concurrency tests need real locking, not shared-cache memory.
            # One file per test process, so that two test runs on one machine never share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-civicgrid-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# The throttle first: it refuses a locked account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "civicgrid.accounts.throttle.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sessions end after this many idle minutes and this many hours after signing in (等保 2.0);
# citizens keep theirs for SESSION_COOKIE_AGE seconds (two weeks) (accounts/middleware.py).
CIVICGRID_STAFF_IDLE_MINUTES = env_int("CIVICGRID_STAFF_IDLE_MINUTES", 30)
CIVICGRID_STAFF_SESSION_HOURS = env_int("CIVICGRID_STAFF_SESSION_HOURS", 12)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# Administrators and leaders confirm each sign-in with a TOTP code (authenticator app) when on.
CIVICGRID_OTP_REQUIRED = env_bool("CIVICGRID_OTP_REQUIRED", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "civicgrid")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files: everything vendored, served by the app itself (closed networks) ----------
STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
# /media/ is answered by the app, which checks who may see a case photo (cases.access.access_case_photo)
# and then sends the file with django-sendfile2: streamed by the app itself (`stream`, the embedded
# deployment), or, behind nginx, `nginx`: an X-Accel-Redirect to the internal location
# CIVICGRID_MEDIA_INTERNAL_URL (`location /protected-media/ { internal; alias <MEDIA_ROOT>/; }`), or
# `xsendfile`: an X-Sendfile header (Apache mod_xsendfile). nginx must not serve /media/ itself.
SENDFILE_BACKEND = {
    "stream": "civicgrid.core.sendfile",
    "nginx": "django_sendfile.backends.nginx",
    "xsendfile": "django_sendfile.backends.xsendfile",
}.get(env_str("CIVICGRID_SENDFILE", "stream"))
if SENDFILE_BACKEND is None:
    raise ImproperlyConfigured("CIVICGRID_SENDFILE must be stream, nginx or xsendfile")
SENDFILE_ROOT = MEDIA_ROOT
SENDFILE_URL = env_str("CIVICGRID_MEDIA_INTERNAL_URL", "/protected-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Originals of photos (with their EXIF) are kept out of the public media folder.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env_path("PRIVATE_MEDIA_ROOT", VAR_DIR / "private")), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security (production defaults; `manage.py check --deploy` is clean behind TLS) ---------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):  # nginx in front terminates TLS and sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CIVICGRID_LOG_FORMAT = env_str("CIVICGRID_LOG_FORMAT", "plain")
if CIVICGRID_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"CIVICGRID_LOG_FORMAT must be plain or json, not {CIVICGRID_LOG_FORMAT!r}")
# Log lines carry the request's id (core/requestid.py); CIVICGRID_LOG_FORMAT=json writes one JSON
# object per line (for a log collector), plain writes text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "civicgrid.core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CIVICGRID_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "civicgrid": {"handlers": ["console"], "level": env_str("CIVICGRID_LOG_LEVEL", "INFO")},
    },
}

# --- The city -------------------------------------------------------------------------------
# Administrative code of the district the platform serves by default (GB/T 2260); 康巴什区.
CIVICGRID_DISTRICT_CODE = env_str("CIVICGRID_DISTRICT_CODE", "150603")
# Base map tiles; empty means no tile server (closed network): cells and markers on a blank map.
CIVICGRID_TILE_URL = env_str("CIVICGRID_TILE_URL", "")
CIVICGRID_TILE_ATTRIBUTION = env_str("CIVICGRID_TILE_ATTRIBUTION", "")
# Or a local raster MBTiles/PMTiles file served at /tiles/ (its attribution from the file); with
# neither, the maps draw a base map from the gazetteer and the grid (gazetteer/basemap.py).
CIVICGRID_MBTILES_PATH = env_str("CIVICGRID_MBTILES_PATH", "")
# Content-Security-Policy of every page (django-csp): own origin only, images also from the tile server.
CONTENT_SECURITY_POLICY = csp.policy(tile_url=CIVICGRID_TILE_URL)
# How often (seconds) a process checks whether another process changed the grid cells.
CIVICGRID_GRID_RECHECK_SECONDS = env_float("CIVICGRID_GRID_RECHECK_SECONDS", 2.0)
# Seconds a server process keeps a key it has looked up (with its client and account) before reading it
# again: a key revoked, rotated out or switched off by another process stops within this time (at once
# in the process that made the change). 0: every request reads its key.
CIVICGRID_API_KEY_RECHECK_SECONDS = env_float("CIVICGRID_API_KEY_RECHECK_SECONDS", 2.0)
# Map layers that change with the clock (overdue counts, lights): how long (seconds) one answer and
# its ETag stay current; a browser asking again within the same span gets a 304.
CIVICGRID_MAP_LIVE_SECONDS = env_int("CIVICGRID_MAP_LIVE_SECONDS", 60)

# --- Case loop ------------------------------------------------------------------------------
# The working day over which working-hour time limits run (Chinese holiday calendar on top).
CIVICGRID_WORKING_PERIODS = env_str("CIVICGRID_WORKING_PERIODS", "08:30-12:00,14:30-18:00")
# Duplicate detection: same category, open, within this radius and window.
CIVICGRID_DUPLICATE_RADIUS_M = env_float("CIVICGRID_DUPLICATE_RADIUS_M", 50.0)
CIVICGRID_DUPLICATE_WINDOW_HOURS = env_float("CIVICGRID_DUPLICATE_WINDOW_HOURS", 72.0)
# 可能重复: open cases offered as possible duplicates at intake, whatever their category (cases/similar.py).
CIVICGRID_SIMILAR_RADIUS_M = env_float("CIVICGRID_SIMILAR_RADIUS_M", 300.0)
CIVICGRID_SIMILAR_WINDOW_DAYS = env_float("CIVICGRID_SIMILAR_WINDOW_DAYS", 30.0)
# The public (/reports/, the public API, the map, the H5's nearby cases) see a report only once it is
# registered (立案) unless this is on; its free text is shown redacted either way (core.masking).
CIVICGRID_PUBLISH_BEFORE_REGISTRATION = env_bool("CIVICGRID_PUBLISH_BEFORE_REGISTRATION", False)
# How many times an unsatisfied rating may reopen a case.
CIVICGRID_REOPEN_LIMIT = env_int("CIVICGRID_REOPEN_LIMIT", 1)
# 回访: the relay number a handler who may not see the reporter's phone calls, then keys in the case's
# extension code (cases.access.callback_extension); empty = no relay offered.
CIVICGRID_CALLBACK_RELAY = env_str("CIVICGRID_CALLBACK_RELAY", "")
# Red-light (overdue) alerts: one digest per person per period, "hourly" or "daily" (at this local hour).
CIVICGRID_OVERDUE_DIGEST = env_str("CIVICGRID_OVERDUE_DIGEST", "daily")
CIVICGRID_OVERDUE_DIGEST_HOUR = env_int("CIVICGRID_OVERDUE_DIGEST_HOUR", 8)
# Hot issues (hotspots): clusters of reports within these metres and days (and alike in category or text),
# refreshed by the worker at most every REFRESH_SECONDS; an active issue past ALERT_HEAT alerts once.
CIVICGRID_HOT_ISSUE_EPS_METRES = env_int("CIVICGRID_HOT_ISSUE_EPS_METRES", 150)
CIVICGRID_HOT_ISSUE_EPS_DAYS = env_int("CIVICGRID_HOT_ISSUE_EPS_DAYS", 7)
CIVICGRID_HOT_ISSUE_MIN_REPORTS = env_int("CIVICGRID_HOT_ISSUE_MIN_REPORTS", 3)
CIVICGRID_HOT_ISSUE_TEXT_SIMILARITY = env_float("CIVICGRID_HOT_ISSUE_TEXT_SIMILARITY", 0.2)
CIVICGRID_HOT_ISSUE_REFRESH_SECONDS = env_int("CIVICGRID_HOT_ISSUE_REFRESH_SECONDS", 60)
CIVICGRID_HOT_ISSUE_ALERT_HEAT = env_float("CIVICGRID_HOT_ISSUE_ALERT_HEAT", 100.0)
# --- Civilized-city evaluation (文明城市测评) ------------------------------------------------------
# An observation is refused when recorded farther than this from its site (metres).
CIVICGRID_EVALUATION_MAX_DISTANCE_M = env_float("CIVICGRID_EVALUATION_MAX_DISTANCE_M", 200.0)
# A failed observation's rectification task (整改任务) is due at the end of this many working days.
CIVICGRID_EVALUATION_TASK_DAYS = env_int("CIVICGRID_EVALUATION_TASK_DAYS", 3)
# Photos
CIVICGRID_PHOTO_MAX_BYTES = env_int("CIVICGRID_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
CIVICGRID_PHOTO_MAX_PIXELS = env_int("CIVICGRID_PHOTO_MAX_PIXELS", 40_000_000)
CIVICGRID_PHOTO_MAX_COUNT = env_int("CIVICGRID_PHOTO_MAX_COUNT", 9)
# All the photos of one request together (nine 12-megapixel phone photos fit), and per person an hour.
CIVICGRID_PHOTO_MAX_TOTAL_PIXELS = env_int("CIVICGRID_PHOTO_MAX_TOTAL_PIXELS", 120_000_000)
CIVICGRID_PHOTO_UPLOADS_PER_HOUR = env_int("CIVICGRID_PHOTO_UPLOADS_PER_HOUR", 120)
# Notification senders (dotted paths); the default writes to the log.
CIVICGRID_NOTIFICATION_SENDERS = env_list(
    "CIVICGRID_NOTIFICATION_SENDERS", ["civicgrid.notifications.senders.LogSender"]
)
# One global webhook for every notification (notifications.senders.WebhookSender). Kept working, but
# superseded by per-client webhook subscriptions (civicgrid.webhooks: signed Standard Webhooks, chosen
# events, retries and a delivery log); connect a department's system with a subscription instead.
CIVICGRID_WEBHOOK_URL = env_str("CIVICGRID_WEBHOOK_URL", "")
# Webhook subscriptions (civicgrid.webhooks). Receivers must use https; plain http and private or
# loopback addresses are allowed only with DEBUG or CIVICGRID_WEBHOOK_ALLOW_HTTP (an intranet install).
CIVICGRID_WEBHOOK_ALLOW_HTTP = env_bool("CIVICGRID_WEBHOOK_ALLOW_HTTP", False)
# Attempts before a delivery is dead; a subscription failing this many attempts in a row, or failing
# for this many days, is disabled and its department's admins told.
CIVICGRID_WEBHOOK_MAX_ATTEMPTS = env_int("CIVICGRID_WEBHOOK_MAX_ATTEMPTS", 8)
CIVICGRID_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("CIVICGRID_WEBHOOK_DISABLE_AFTER_FAILURES", 20)
CIVICGRID_WEBHOOK_DISABLE_AFTER_DAYS = env_int("CIVICGRID_WEBHOOK_DISABLE_AFTER_DAYS", 3)
# Deliveries one worker pass sends at most (one slow receiver must not stall the worker).
CIVICGRID_WEBHOOK_BATCH = env_int("CIVICGRID_WEBHOOK_BATCH", 50)
# Monitoring (civicgrid/monitoring.py): /metrics answers the machine itself, or a request with this
# bearer token when it is set; /healthz calls a worker stale after this many seconds without a pass.
CIVICGRID_METRICS_TOKEN = env_str("CIVICGRID_METRICS_TOKEN", "")
CIVICGRID_WORKER_STALE_SECONDS = env_float("CIVICGRID_WORKER_STALE_SECONDS", 60.0)
# `civicgrid worker` runs every periodic task the apps register (core/periodic.py) on each pass, except
# those named here: cases.scan_overdue, cases.overdue_digest, points.uncivil_confirm_due,
# analytics.apply_pending, audit.purge_expired, classifier.nightly_retrain.
CIVICGRID_PERIODIC_TASKS_OFF = env_list("CIVICGRID_PERIODIC_TASKS_OFF", [])
# Days a person has to appeal an uncivil-behaviour deduction before it is shown publicly (晾晒).
CIVICGRID_APPEAL_WINDOW_DAYS = env_int("CIVICGRID_APPEAL_WINDOW_DAYS", 7)
# Seconds between two refreshes of the big screen (/screen/; ?refresh=N overrides it, at least 5).
CIVICGRID_SCREEN_REFRESH_SECONDS = env_int("CIVICGRID_SCREEN_REFRESH_SECONDS", 30)
# Volunteer service: the venue code (签到码) changes every CODE_SECONDS; a code scanned later than the slot
# after its own is queued for the organiser (STALE_CODE) up to STALE_SECONDS old, refused beyond.
CIVICGRID_VOLUNTEER_CODE_SECONDS = env_int("CIVICGRID_VOLUNTEER_CODE_SECONDS", 300)
CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS = env_int("CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS", 3600)
if not 10 <= CIVICGRID_VOLUNTEER_CODE_SECONDS <= CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS:
    raise ImproperlyConfigured(
        "CIVICGRID_VOLUNTEER_CODE_SECONDS must be at least 10 and at most CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS"
    )
# Minutes before a shift's start a check-in is accepted: the default of a new shift (each shift keeps its own).
CIVICGRID_VOLUNTEER_CHECKIN_BEFORE_MIN = env_int("CIVICGRID_VOLUNTEER_CHECKIN_BEFORE_MIN", 60)
# Rankings (dashboard, big screen, stats API, monthly report) rank only units with at least this many
# cases in the period (a department: dispatched to it; a street or cell: registered there); the others
# are listed apart as 样本不足 (too few cases), with their counts and no rank.
CIVICGRID_RANKING_MIN_CASES = env_int("CIVICGRID_RANKING_MIN_CASES", 5)

# --- Smart analysis (智能分析) ---------------------------------------------------------------
# Trained classifier files (signed; see classifier/store.py).
CIVICGRID_CLASSIFIER_DIR = env_path("CIVICGRID_CLASSIFIER_DIR", VAR_DIR / "classifier")
# Below this probability nothing is suggested to a citizen or a dispatcher.
CIVICGRID_SUGGEST_MIN_CONFIDENCE = float(os.environ.get("CIVICGRID_SUGGEST_MIN_CONFIDENCE", "0.25"))
# The worker retrains the classifiers on the handled cases once a day ("nightly", at this local hour) or
# never ("off"); a target with fewer handled cases than the minimum is skipped.
CIVICGRID_CLASSIFIER_RETRAIN = env_str("CIVICGRID_CLASSIFIER_RETRAIN", "nightly")
if CIVICGRID_CLASSIFIER_RETRAIN not in ("nightly", "off"):
    raise ImproperlyConfigured('CIVICGRID_CLASSIFIER_RETRAIN must be "nightly" or "off"')
CIVICGRID_CLASSIFIER_RETRAIN_HOUR = env_int("CIVICGRID_CLASSIFIER_RETRAIN_HOUR", 2)
CIVICGRID_CLASSIFIER_MIN_SAMPLES = env_int("CIVICGRID_CLASSIFIER_MIN_SAMPLES", 200)
# At or above this, the console's 立案 form pre-selects the suggested category.
CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE = float(
    os.environ.get("CIVICGRID_SUGGEST_PRESELECT_CONFIDENCE", "0.6")
)

# --- Access audit (访问审计) -----------------------------------------------------------------
# Days the access audit (logins, views of personal data, exports) and the model-change log are kept;
# the worker's periodic task audit.purge_expired deletes older entries. Network logs are kept at least
# six months (网络安全法 art. 21).
CIVICGRID_AUDIT_RETENTION_DAYS = env_int("CIVICGRID_AUDIT_RETENTION_DAYS", 365)
if CIVICGRID_AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("CIVICGRID_AUDIT_RETENTION_DAYS must be at least 180 (six months)")
# Days the log of API calls made with client keys (audit.ApiCall) is kept; the periodic task
# audit.purge_api_calls deletes older rows. Also a network log: at least six months.
CIVICGRID_API_CALL_RETENTION_DAYS = env_int("CIVICGRID_API_CALL_RETENTION_DAYS", 180)
if CIVICGRID_API_CALL_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("CIVICGRID_API_CALL_RETENTION_DAYS must be at least 180 (six months)")
# Changes to configuration and personal-data models, recorded by django-auditlog (with the admin's
# own LogEntry beside it); personal fields are masked in the log, secrets left out.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "accounts.User",
        "exclude_fields": ["password", "last_login"],
        "mask_fields": ["phone", "real_name"],
    },
    "accounts.Department",
    "accounts.ApiClient",
    {"model": "accounts.ApiKey", "exclude_fields": ["digest", "last_used_at"]},
    "grids.CellMember",
    "taxonomy.Category",
    "classifier.ModelVersion",
    "taxonomy.TimeLimit",
    "taxonomy.RoutingRule",
    "worktime.CalendarDay",
    "points.RewardItem",
    "codes.Household",
    {"model": "codes.Merchant", "exclude_fields": ["area"]},
    {"model": "codes.Stall", "exclude_fields": ["zone"]},
    "codes.EBike",
)
AUDITLOG_MASK_CALLABLE = "civicgrid.core.masking.mask_logged_value"

# --- SMS login codes (accounts) -------------------------------------------------------------
# The class (dotted path) that sends login codes by SMS: it has send_text(phone, text). The
# default writes "登录验证码 123456…" to the logger civicgrid.sms (no gateway needed).
CIVICGRID_SMS_SENDER = env_str("CIVICGRID_SMS_SENDER", "civicgrid.accounts.sms.LogSmsSender")
# A gateway that reaches phones (accounts/smsgateways.py): civicgrid.accounts.smsgateways.AliyunSmsSender,
# .TencentSmsSender or .HttpGatewaySmsSender. The cloud services need a sign name (签名), approved
# templates per kind ("login_code=SMS_1,notice=SMS_2") and an access key; Tencent also an SmsSdkAppId.
CIVICGRID_SMS_SIGN_NAME = env_str("CIVICGRID_SMS_SIGN_NAME", "")
CIVICGRID_SMS_TEMPLATES = dict(
    part.split("=", 1) for part in env_list("CIVICGRID_SMS_TEMPLATES", []) if "=" in part
)
CIVICGRID_SMS_ACCESS_KEY_ID = env_str("CIVICGRID_SMS_ACCESS_KEY_ID", "")
CIVICGRID_SMS_ACCESS_KEY_SECRET = env_secret("CIVICGRID_SMS_ACCESS_KEY_SECRET", "")
CIVICGRID_SMS_APP_ID = env_str("CIVICGRID_SMS_APP_ID", "")
CIVICGRID_SMS_REGION = env_str("CIVICGRID_SMS_REGION", "")
CIVICGRID_SMS_ENDPOINT = env_str("CIVICGRID_SMS_ENDPOINT", "")  # the provider's default when empty
CIVICGRID_SMS_TIMEOUT = env_float("CIVICGRID_SMS_TIMEOUT", 10.0)
# The generic HTTP gateway: where to POST, the JSON body with {phone} {text} {sign} {template}, and the
# shared secret of its X-Civicgrid-Signature (HMAC-SHA256 of the body).
CIVICGRID_SMS_HTTP_URL = env_str("CIVICGRID_SMS_HTTP_URL", "")
CIVICGRID_SMS_HTTP_BODY = env_str("CIVICGRID_SMS_HTTP_BODY", '{{"mobile": "{phone}", "content": "{text}"}}')
CIVICGRID_SMS_HTTP_SECRET = env_secret("CIVICGRID_SMS_HTTP_SECRET", "")
# Against SMS pumping (accounts/smsguard.py): codes per client address an hour, different numbers per
# browser session a day, sends (address an hour or session a day) after which a captcha is asked, and
# codes a day for the whole platform (alert at 80 % and 100 %, then refused until midnight).
CIVICGRID_SMS_PER_ADDRESS_PER_HOUR = env_int("CIVICGRID_SMS_PER_ADDRESS_PER_HOUR", 20)
CIVICGRID_SMS_NUMBERS_PER_SESSION = env_int("CIVICGRID_SMS_NUMBERS_PER_SESSION", 3)
CIVICGRID_SMS_CAPTCHA_AFTER = env_int("CIVICGRID_SMS_CAPTCHA_AFTER", 2)
CIVICGRID_SMS_DAILY_BUDGET = env_int("CIVICGRID_SMS_DAILY_BUDGET", 5000)
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5  # minutes
# Signing keys for QR codes and vouchers ("k1:secret,k2:secret"), separate from SECRET_KEY so that
# rotating it leaves printed codes valid; empty: derived from SECRET_KEY (refused when DEBUG is off).
CIVICGRID_TOKEN_KEYS = env_secret("CIVICGRID_TOKEN_KEYS", "")
CIVICGRID_TOKEN_KEY_ID = env_str("CIVICGRID_TOKEN_KEY_ID", "")

# --- Sign-in throttling (django-axes; policy in accounts/throttle.py) --------------------------------
# Failed passwords before an account (from any address) or a client address (for any accounts) is
# locked; a lockout lasts this many minutes, doubled for each try while locked (at most a day).
CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT = env_int("CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT", 5)
CIVICGRID_LOGIN_FAILURES_PER_ADDRESS = env_int("CIVICGRID_LOGIN_FAILURES_PER_ADDRESS", 20)
CIVICGRID_LOGIN_LOCKOUT_MINUTES = env_int("CIVICGRID_LOGIN_LOCKOUT_MINUTES", 15)
AXES_HANDLER = "civicgrid.accounts.throttle.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # the login forms' field (the model's is "phone")
AXES_FAILURE_LIMIT = CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = "civicgrid.accounts.throttle.cool_off"
AXES_LOCKOUT_CALLABLE = "civicgrid.accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure kept (who, address, when): the audit trail
AXES_VERBOSE = False  # the lockouts are logged by civicgrid.security
# The client address (here and for the SMS limits) is REMOTE_ADDR; behind N proxies that each append to
# X-Forwarded-For (nginx: proxy_add_x_forwarded_for), set N: the address the outermost one saw.
CIVICGRID_PROXY_COUNT = env_int("CIVICGRID_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "civicgrid.accounts.throttle.client_address"
