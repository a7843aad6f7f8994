"""Django settings, read from ``BIANHE_*`` environment variables (see ``bianhe.env``).

A fresh checkout runs with no variables set: data under ``./var``, SQLite in WAL mode, a
secret key generated on first run. Production sets ``BIANHE_DATABASE_URL=postgres://…``,
``BIANHE_ALLOWED_HOSTS`` and, usually, ``BIANHE_SECURE_COOKIES=1``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bianhe.env import (
    EnvError,
    env_bool,
    env_choice,
    env_database,
    env_home,
    env_int,
    env_list,
    env_secret_key,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent

BIANHE_HOME = env_home("BIANHE_HOME")
SECRET_KEY = env_secret_key("BIANHE_SECRET_KEY", BIANHE_HOME)
DEBUG = env_bool("BIANHE_DEBUG", False)
ALLOWED_HOSTS = env_list("BIANHE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("BIANHE_CSRF_TRUSTED_ORIGINS", [])
# Set by `bianhe demo`: every page then carries the 演示环境 banner.
BIANHE_DEMO = env_bool("BIANHE_DEMO", False)

DATABASES = {"default": env_database("BIANHE_DATABASE_URL", BIANHE_HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from our static files, not a CDN
    "axes",
    "bianhe.web",
    "bianhe.audit",
    "bianhe.zones",
    "bianhe.accounts",
    "bianhe.catalog",
    "bianhe.reporting",
    "bianhe.quality",
    "bianhe.analytics",
    "bianhe.review",
    "bianhe.targets",
    "bianhe.jobs",
    "bianhe.evaluation",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bianhe.web.middleware.LoginRequiredForPagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bianhe.urls"
WSGI_APPLICATION = "bianhe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bianhe.web.context_processors.platform",
            ],
        },
    },
]

# --- people and sessions -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: it refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: every request renews the session, which expires after this many idle
# minutes, and at the latest when the browser closes.
SESSION_COOKIE_AGE = env_int("BIANHE_SESSION_IDLE_MINUTES", 60, minimum=5) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_COOKIES = env_bool("BIANHE_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind N reverse proxies that each append to X-Forwarded-For (and set X-Forwarded-Proto),
# the client is the N-th address from the right. 0: clients connect directly and
# forwarded headers, which anyone can send, are ignored.
BIANHE_PROXY_COUNT = env_int("BIANHE_PROXY_COUNT", 0, minimum=0)
if BIANHE_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes): lock a username from one address after N failures.
AXES_ENABLED = env_bool("BIANHE_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("BIANHE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("BIANHE_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "bianhe.audit.actions.client_ip"

# --- language --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static files ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BIANHE_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start if it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("BIANHE_STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("BIANHE_LOG_LEVEL", "INFO",
                            ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {"axes": {"level": "WARNING"}},
}

# Analytics: a pivot that would produce more cells than this is refused before it runs.
BIANHE_PIVOT_MAX_CELLS = env_int("BIANHE_PIVOT_MAX_CELLS", 50_000, minimum=100)
# Dashboards and zone profiles open at the latest period in which at least this percentage
# of the expected zones have accepted figures (analytics/coverage.py).
BIANHE_COVERAGE_THRESHOLD = env_int("BIANHE_COVERAGE_THRESHOLD", 100, minimum=1)
if BIANHE_COVERAGE_THRESHOLD > 100:
    raise EnvError(f"BIANHE_COVERAGE_THRESHOLD={BIANHE_COVERAGE_THRESHOLD} is above the "
                   "maximum of 100 (percent)")

# Annual work targets (docs/targets.md): the band around the expected progress within which
# a target is on track, in percent of the expectation; and whether the scheme allows growth
# targets on stock indicators (企业数、从业人员 at the period's end: off, a year-end level).
BIANHE_TARGET_TOLERANCE_PERCENT = env_int("BIANHE_TARGET_TOLERANCE_PERCENT", 5, minimum=0)
if BIANHE_TARGET_TOLERANCE_PERCENT > 50:
    raise EnvError(f"BIANHE_TARGET_TOLERANCE_PERCENT={BIANHE_TARGET_TOLERANCE_PERCENT} is "
                   "above the maximum of 50 (percent)")
BIANHE_TARGET_GROWTH_ON_STOCK = env_bool("BIANHE_TARGET_GROWTH_ON_STOCK", False)

# --- background jobs (docs/jobs.md) ------------------------------------------------------
# The task queue: "database" (the default: tasks wait in the platform's own database, run by
# `bianhe worker` or the worker `bianhe serve` starts) or "rq" (Redis at BIANHE_REDIS_URL, for
# workers on several machines). Setting BIANHE_REDIS_URL alone chooses "rq".
BIANHE_REDIS_URL = env_str("BIANHE_REDIS_URL", "")
BIANHE_TASKS_BACKEND = env_choice("BIANHE_TASKS_BACKEND",
                                  "rq" if BIANHE_REDIS_URL else "database", ("database", "rq"))
if BIANHE_TASKS_BACKEND == "rq":
    if not BIANHE_REDIS_URL:
        raise EnvError("BIANHE_TASKS_BACKEND=rq needs BIANHE_REDIS_URL (redis://host:6379/0)")
    if not BIANHE_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise EnvError(f"BIANHE_REDIS_URL={BIANHE_REDIS_URL!r} is not a redis:// URL")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_QUEUES = {"default": {"URL": BIANHE_REDIS_URL or "redis://127.0.0.1:6379/0",
                         "DEFAULT_TIMEOUT": 6 * 3600}}
# A running job whose heartbeat is older than this is taken as dead (its worker was killed)
# and marked failed; it can then be run again.
BIANHE_JOB_STALL_SECONDS = env_int("BIANHE_JOB_STALL_SECONDS", 120, minimum=1)
# Finished files of export jobs live here, one folder per job, served to their owner only.
BIANHE_JOB_FILES = BIANHE_HOME / "jobs"
