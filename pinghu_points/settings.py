"""One settings module, driven by the environment.

Embedded default: SQLite file in the project and Celery in eager mode, so
`make run` needs no server. Production: set DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS (see docs/deployment.md).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from import_export.formats import base_formats as _import_export_formats

from pinghu_points import exports as _pinghu_exports
from pinghu_points.lan import lan_ipv4_addresses

BASE_DIR = Path(__file__).resolve().parent.parent


# Settings that refuse typos: a variable that is set but cannot be read as what it means
# stops start-up with its name and value (DEBUG=ture must not quietly mean "off").
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class SettingError(RuntimeError):
    """An environment variable that is set to something its setting cannot be."""

    def __init__(self, name, value, expected):
        super().__init__(f"{name}={value!r} is not {expected}")


def _set_value(name):
    """The variable's value, or None when it is not set (then the default applies). Set
    but empty is refused like any other value that is not one: DEBUG= is not "off"."""
    value = os.environ.get(name)
    return None if value is None else value.strip()


def envbool(name, default):
    value = _set_value(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise SettingError(name, value, f"a boolean ({'/'.join(TRUE_WORDS + FALSE_WORDS)})")


def envint(name, default, *, minimum=0):
    """Every integer setting: ASCII digits (a leading - only where minimum allows it)."""
    value = _set_value(name)
    if value is None:
        return default
    if not re.fullmatch(r"-?[0-9]+", value) or int(value) < minimum:
        raise SettingError(name, value, f"a whole number of at least {minimum}")
    return int(value)


def envfloat(name, default):
    """A number of seconds such as 2 or 0.5."""
    value = _set_value(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
        raise SettingError(name, value, "a number such as 5 or 0.5")
    return float(value)


def envrate(name, default):
    """A rate "N/period" (period s, m, h or d, or a word starting with one): refused on a typo."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(r"\d+\s*/\s*\d*\s*[smhd]\w*", value):
        raise RuntimeError(f"{name} must be a rate like 60/hour, not {value!r}")
    return value


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-do-not-deploy"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
# The demo served to phones (`make run HOST=0.0.0.0` sets the flag): a phone on the same
# network asks for this machine by its LAN address. Only with DEBUG on; production lists
# its host names in ALLOWED_HOSTS and nothing else.
if DEBUG and envbool("DEMO_ALLOW_LAN_HOSTS", False):
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, *lan_ipv4_addresses()]
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# How many reverse proxies we run in front of the app (docs/deployment.md). Each appends
# its peer to X-Forwarded-For; the client is the hop this many from the right
# (accounts.middleware.client_address). 0: no proxy, X-Forwarded-For is ignored.
# The older BEHIND_PROXY=1 means one proxy.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if envbool("BEHIND_PROXY", False) else 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "import_export",
    "axes",
    "accounts",
    "villages",
    "communities",
    "dividends",
    "awards",
    "appeals",
    "matters",
    "banking",
    "overview",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ForcePasswordChangeMiddleware",
    "accounts.middleware.StaffSessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # With DEBUG (the demo): the product's 404/400/500 pages instead of Django's debug pages.
    "pinghu_points.errors.ProductErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pinghu_points.urls"
WSGI_APPLICATION = "pinghu_points.wsgi.application"
ASGI_APPLICATION = "pinghu_points.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
if "sqlite" in DATABASES["default"]["ENGINE"]:
    # Several writers (runserver + an eager job) must wait, not fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is down or hangs must end a request in bounded time, not hold it
    # until gunicorn kills the worker (docs/deployment.md, "Timeouts"): a connect timeout,
    # a statement timeout on the server, and TCP keepalives to notice a vanished server.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", envint("DB_CONNECT_TIMEOUT", 5))
    _statement_ms = int(envfloat("DB_STATEMENT_TIMEOUT", 30) * 1000)
    _options["options"] = f"{_options.get('options', '')} -c statement_timeout={_statement_ms}"
    _options.setdefault("keepalives", 1)
    _options.setdefault("keepalives_idle", 30)
    _options.setdefault("keepalives_interval", 10)
    _options.setdefault("keepalives_count", 3)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Sessions: villagers stay logged in on their phones for two weeks; staff, accountants
# and admins are logged out after this many minutes without a request
# (accounts.middleware.StaffSessionIdleMiddleware).
SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
STAFF_SESSION_IDLE_MINUTES = envint("STAFF_SESSION_IDLE_MINUTES", 240)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling and lockout by django-axes (docs/villagers.md, "账号与登录").
# The axes backend refuses locked-out attempts; ours logs in by username or, for
# villagers, by the household card number in any case.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.CardNumberBackend",
    # A town admin's admin-site permissions (their town's models; rows: accounts.scope).
    "accounts.admin_scope.TownAdminPermissions",
]
# N failures within the cool-off lock the account (username) and, separately, the
# address (IP) for the cool-off time, unless staff lift the lockout earlier.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Count "tongjie-0001" and "TONGJIE-0001" as one account, as the login does.
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# The same address as the audit trail: the hop the trusted proxies wrote (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.villager_views.lockout_response"
# A success must not wipe the failures recorded from its address against other accounts.
AXES_RESET_ON_SUCCESS = False
# Logins are in our audit trail already; unlocking goes through the audited lockouts page,
# not the axes admin pages.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's length rule with a message our catalogue translates (see the module).
    {"NAME": "accounts.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # The first change must not keep the issued password (nor any change the current one).
    {"NAME": "accounts.password_validation.NotCurrentPasswordValidator"},
]
# An issued (printed) villager password not changed within this many days no longer
# logs in; the villager asks for a new one (docs/villagers.md).
ISSUED_PASSWORD_VALID_DAYS = envint("ISSUED_PASSWORD_VALID_DAYS", 14)
# Look-ups by a whole secret number, per caller (login or API token), on every channel
# (accounts.lookup_limits, docs/bank.md): at most RATE look-ups; after MISSES look-ups that
# found nobody, refused until the oldest of them leaves the window, and the admin is told.
BANK_LOOKUP_RATE = envrate("BANK_LOOKUP_RATE", "60/hour")
BANK_LOOKUP_MISSES = envrate("BANK_LOOKUP_MISSES", "10/day")
HOUSEHOLD_NUMBER_SEARCH_RATE = envrate("HOUSEHOLD_NUMBER_SEARCH_RATE", "120/hour")
HOUSEHOLD_NUMBER_SEARCH_MISSES = envrate("HOUSEHOLD_NUMBER_SEARCH_MISSES", "20/day")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Largest evidence photo or resolution accepted, in MB (pinghu_points/files.py).
UPLOAD_MAX_MB = envint("UPLOAD_MAX_MB", 10)
# Largest photo accepted, in pixels (width × height of its first frame), read from the
# file's header before any pixel is decoded: decoding one takes up to about 8 bytes a
# pixel at its peak (docs/deployment.md, "Uploaded files").
PHOTO_MAX_PIXELS = envint("PHOTO_MAX_PIXELS", 32000000)
# Production behind nginx: the internal location that maps to MEDIA_ROOT, e.g.
# "/protected-media/"; the file view then answers with X-Accel-Redirect. Empty: Django
# streams the file itself.
PRIVATE_FILES_ACCEL_PREFIX = os.environ.get("PRIVATE_FILES_ACCEL_PREFIX", "")
STORAGES = {
    # Uploaded files have no public URL: pinghu_points.file_views serves them, with scope.
    "default": {"BACKEND": "pinghu_points.files.PrivateFileStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Celery: without a broker every task runs in-process (eager), so no server is needed.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, and put back on the queue when its worker
# process dies: a killed worker's run is computed again (docs/dividends.md, "The job").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Broker and result store down or hanging: publishing gives up within a few seconds
# (connect timeout, socket timeout, one retry) instead of 20 s or for ever.
BROKER_CONNECT_TIMEOUT = envfloat("BROKER_CONNECT_TIMEOUT", 2)
BROKER_SOCKET_TIMEOUT = envfloat("BROKER_SOCKET_TIMEOUT", 5)
# The whole of sending one task (pinghu_points/jobs.py), whatever the broker does.
BROKER_PUBLISH_TIMEOUT = envfloat("BROKER_PUBLISH_TIMEOUT", 5)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "max_retries": 1,
    # An unacknowledged task (its worker was killed) goes back on the queue after this
    # many seconds. Longer than the longest task (a 100,000-household run takes about
    # 5 s, a large import a few minutes), so a live task is never given to a second worker.
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 1800),
    # How often a worker looks for such tasks (seconds; the scan runs every call).
    "unacked_restore_interval": envint("CELERY_UNACKED_RESTORE_INTERVAL", 60),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_SOCKET_TIMEOUT

# Django's caches. "default" holds what one process may recompute (the overview's headline
# figures, a run's basis): in memory, so a Redis outage never takes a page down. "throttle"
# holds the API tokens' request counters (pinghu_points.api_auth): THROTTLE_CACHE_URL=redis://…
# shares them between gunicorn workers, so a token gets its rate, not the rate times the
# workers; unset (make run, tests), each process counts on its own.
THROTTLE_CACHE_URL = os.environ.get("THROTTLE_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": THROTTLE_CACHE_URL,
            "KEY_PREFIX": "pinghu-throttle",
            "OPTIONS": {
                "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
                "socket_timeout": BROKER_SOCKET_TIMEOUT,
            },
        }
        if THROTTLE_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    }
}
# Background jobs (dividend runs, import jobs: one mechanism, pinghu_points/jobs.py and
# docs/deployment.md, "Background jobs"). A job gives a sign of life (its heartbeat) when
# it is sent, taken and at every progress step. With none for JOB_OVERDUE_SECONDS the
# page says it may have stalled and offers to send it again; with none for
# JOB_STALE_SECONDS the sweep (Celery beat, the `beat` service of docker-compose.yml,
# every JOB_SWEEP_INTERVAL seconds) sends it again, or fails it with a reason once
# JOB_MAX_ATTEMPTS tasks have started it. A job that never reached the queue is sent
# after JOB_UNSENT_SECONDS. The old DIVIDEND_RUN_* / DIVIDEND_SWEEP_INTERVAL variables
# are still read when the JOB_* ones are not set.


def _job_seconds(name, old_name, default):
    return envint(name, envint(old_name, default))


JOB_STALE_SECONDS = _job_seconds("JOB_STALE_SECONDS", "DIVIDEND_RUN_STALE_SECONDS", 300)
JOB_MAX_ATTEMPTS = _job_seconds("JOB_MAX_ATTEMPTS", "DIVIDEND_RUN_MAX_ATTEMPTS", 3)
JOB_SWEEP_INTERVAL = _job_seconds("JOB_SWEEP_INTERVAL", "DIVIDEND_SWEEP_INTERVAL", 60)
JOB_OVERDUE_SECONDS = envint("JOB_OVERDUE_SECONDS", 60)
JOB_UNSENT_SECONDS = envint("JOB_UNSENT_SECONDS", min(JOB_SWEEP_INTERVAL, 30))
JOB_KINDS = [
    "dividends.run_jobs.RUN_JOBS",
    "villages.import_jobs.IMPORT_JOBS",
    "awards.services.AWARD_JOBS",
]
# The importer of each ImportJob kind (villages/import_jobs.py runs them all).
IMPORT_FUNCTIONS = {
    "register": "villages.importing.household_register_import",
    "score_events": "communities.importing.score_event_import",
}
CELERY_IMPORTS = ["pinghu_points.jobs"]
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {
        "task": "pinghu_points.jobs.sweep_jobs",
        "schedule": JOB_SWEEP_INTERVAL,
        # A sweep that waited longer than one interval is replaced by the next one.
        "options": {"expires": JOB_SWEEP_INTERVAL},
    },
    # Unconfirmed register previews and their uploaded files (villages/import_jobs.py).
    "expire-import-previews": {
        "task": "villages.tasks.import_previews_expire",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.PasswordChanged",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Adds the error answers (400/401/403/404/429) to every operation.
    "DEFAULT_SCHEMA_CLASS": "pinghu_points.schema.AutoSchema",
    # Requests made with an API token, per token (pinghu_points.api_auth, docs/api.md "Rates").
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_TOKEN_RATE", "600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pinghu shareholder points API",
    "DESCRIPTION": "股权分红+善治积分 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its Swagger UI are for logged-in users only.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.PasswordChanged",
    ],
    # Swagger UI from the installed package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The unversioned /api/ paths are marked deprecated (their successor is /api/v1/).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pinghu_points.api_urls.mark_deprecated",
    ],
    # `<id:…>` (pinghu_points.parameters.IdConverter): a bigint id, not a string.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    },
}

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# The admin's downloads: csv and our xlsx writer only (pinghu_points/exports.py), so that
# every spreadsheet the product writes keeps formulas out the same way. Import-export's
# own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT stays off: it deletes a leading "=" (the
# value changes) and ignores + - @.
EXPORT_FORMATS = [_import_export_formats.CSV, _pinghu_exports.XLSX]

# Content-Security-Policy (django-csp), in every mode: scripts, styles, images and fonts
# from our own origin only (vendored Chart.js and Swagger UI included), no inline script,
# event handler or style attribute, no plugins, no framing, forms post only to us.
# data: images for Swagger UI's icons. The uploaded-file view sends a stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


# Excel imports (docs/import-formats.md, "Limits"; docs/deployment.md). Every limit is
# checked before the sheet is parsed where the file declares it, and again while streaming.
IMPORT_MAX_FILE_BYTES = envint("IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = envint("IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = envint("IMPORT_MAX_COMPRESSION_RATIO", 100)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 50_000)  # data rows, the header not counted
IMPORT_MAX_COLUMNS = envint("IMPORT_MAX_COLUMNS", 50)
# Uploads larger than this run as a Celery task with a progress bar (eager without a broker).
IMPORT_BACKGROUND_BYTES = envint("IMPORT_BACKGROUND_BYTES", 256 * 1024)
# A register preview not confirmed within this time is cancelled and its file removed.
IMPORT_PREVIEW_SECONDS = envint("IMPORT_PREVIEW_SECONDS", 24 * 3600)
IMPORT_ERRORS_SHOWN = envint("IMPORT_ERRORS_SHOWN", 200)  # on the page; all in the report
IMPORT_ERRORS_KEPT = envint("IMPORT_ERRORS_KEPT", 10_000)  # in the downloadable report
# Django's own upload handling: files above this go to a temporary file, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # The health check is asked over plain HTTP from inside the container.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

# The CSRF failure page in the site's layout (pinghu_points/errors.py).
CSRF_FAILURE_VIEW = "pinghu_points.errors.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused permission or a missing page is one warning line, not a traceback.
    "filters": {
        "client_errors_without_traceback": {
            "()": "pinghu_points.errors.ClientErrorsWithoutTraceback"
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # Django's own console handler would print each message a second time beside ours.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
