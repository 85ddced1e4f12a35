"""Settings for WCC Assurance.

Everything that differs between a laptop and a server comes from the environment,
read through the small typed helpers below; a malformed value stops start-up with
``ImproperlyConfigured`` naming the variable. Nothing here is read from a hidden file.

SQLite (a file inside the project) is the default so that a fresh clone runs with no
set-up; ``DATABASE_URL`` selects PostgreSQL (or another SQLite file).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_cache_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be true or false (1/0, yes/no, on/off); got {value!r}."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=true for a "
            "local development key."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "competencies",
    "assessments",
    "panels",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wcc_site.middleware.SessionIdleMiddleware",
    "wcc_site.middleware.PrivateCacheMiddleware",
    "wcc_site.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wcc_site.middleware.FormOnlyAddressMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # As django-axes asks, near the end: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Last: it runs the view itself (again, when SQLite was busy), after every other
    # middleware's process_view (LoginRequiredMiddleware's above all).
    "wcc_site.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "wcc_site.urls"

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
                "assessments.context_processors.roles",
                "assessments.context_processors.vocabulary",
            ],
        },
    },
]

WSGI_APPLICATION = "wcc_site.wsgi.application"

# --- Database -----------------------------------------------------------------------
# SQLite settings measured in PITFALLS.md: without IMMEDIATE transactions, WAL and a busy
# timeout, half of concurrent read-then-write requests failed with "database is locked".
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A persistent connection (DATABASE_CONN_MAX_AGE > 0) broken by a database restart
        # is noticed and replaced at the next request instead of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: django-axes refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that username is locked from that address for AXES_COOLOFF_TIME. The
# lock is on the combination, so an attacker cannot lock a user out everywhere (nor lock
# out everyone sharing an NHS proxy's address); a successful login resets the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wcc_site.views.login_locked_out"
# The client's address: REMOTE_ADDR, or behind the HTTPS proxy the last X-Forwarded-For
# entry (the one our proxy appended; earlier entries are whatever the client sent).
AXES_CLIENT_IP_CALLABLE = "wcc_site.middleware.client_ip"
AXES_VERBOSE = False  # no banner on every start-up (manage.py check stays quiet)
# Sessions end after SESSION_COOKIE_AGE of inactivity: SessionIdleMiddleware renews the
# session at most every SESSION_RENEW_SECONDS (not on every request, which would make
# every page view a database write).
SESSION_ENGINE = "wcc_site.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
SESSION_RENEW_SECONDS = 5 * 60
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]


def file_storages(backend: str | None) -> dict[str, dict]:
    """``STORAGES["default"]`` (evidence uploads) and ``STORAGES["reports"]`` (generated
    PDFs) for ``STORAGE_BACKEND``.

    ``filesystem`` (the default): both under ``MEDIA_ROOT``, enough for one machine.
    ``s3``: both in one S3 bucket (or an S3-compatible store), so that every web server and
    worker sees the same files. Credentials come from boto3's usual sources (the
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` variables, a profile or an instance
    role), never from here. Files are never public: no ACL is set and the views stream
    them from ``storage.open()`` after checking access, so nobody needs a URL to the bucket.
    Evidence keeps Django's "add a suffix" rule (two uploads named alike must both
    survive); a report overwrites its fixed name.
    """
    if backend == "filesystem":
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "reports": {"BACKEND": "wcc_site.storage.AtomicFileSystemStorage"},
        }
    if backend == "s3":
        bucket = env_str("AWS_STORAGE_BUCKET_NAME")
        if not bucket:
            raise ImproperlyConfigured(
                "STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME (the bucket that holds "
                "evidence and reports)."
            )
        endpoint = env_str("AWS_S3_ENDPOINT_URL")
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f"AWS_S3_ENDPOINT_URL must start with http:// or https://; got {endpoint!r}."
            )
        s3 = {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,  # a URL, if ever asked for, is signed and expires
        }
        backend_path = "storages.backends.s3.S3Storage"
        return {
            "default": {"BACKEND": backend_path, "OPTIONS": {**s3, "file_overwrite": False}},
            "reports": {"BACKEND": backend_path, "OPTIONS": {**s3, "file_overwrite": True}},
        }
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3; got {backend!r}.")


STORAGES = {
    **file_storages(env_str("STORAGE_BACKEND", "filesystem")),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Evidence documents: the largest upload accepted, in bytes (default 20 MiB).
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
MEDIA_URL = "/media/"  # never served directly: files go through access-checked views

# --- Cache --------------------------------------------------------------------------
# CACHE_URL (django-cache-url, the cache sibling of dj-database-url): ``locmem://`` by
# default (one process's memory: fine for one server), ``redis://host:6379/0`` to share
# one cache between workers and servers. A shared cache holds the figures computed from
# each round's version, so that a new worker reads them instead of computing them again
# (``reports.kept``; docs/deployment.md, "Cache").


def cache_from_url(url: str) -> dict:
    try:
        config = django_cache_url.parse(url)
    except Exception as exc:  # the parser raises a bare Exception for an unknown scheme
        raise ImproperlyConfigured(
            "CACHE_URL must be a cache URL such as locmem:// or redis://host:6379/0; "
            f"got one starting {url.split(':', 1)[0]!r}:// ({exc})."  # no password echoed
        ) from None
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # A Redis that cannot be reached costs a request a second or two (the figures are
        # then computed: reports.kept), not the minutes of TCP's own timeouts.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 2)
    return config


CACHES = {"default": cache_from_url(env_str("CACHE_URL", "locmem://"))}

# --- Security -----------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preloading is a commitment (browsers hard-code HTTPS for the domain and its subdomains),
# so it is opt-in; check --deploy's reminder about it (W021) is silenced for that reason.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind the reverse proxy: trust its X-Forwarded-Proto, and its X-Forwarded-For (last hop
# only) for the client's address (login throttling).
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_HTTPS_PROXY else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): our own files only, no inline script or style
# (charts are SVG with presentation attributes, see reports/charts.py), never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- E-mail -------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The SMTP backend's server (a relay, or a provider's submission port with a login), and the
# file backend's folder: each read only by the backend that uses it.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (465), not both."
    )
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend" and not EMAIL_FILE_PATH:
    raise ImproperlyConfigured(
        "The file e-mail backend needs EMAIL_FILE_PATH: the folder to write to."
    )
# Absolute links in e-mails (the site's public address, without a trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "WCC Assurance <wcc-assurance@localhost>")

# --- Background tasks ---------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Forms --------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Demo ---------------------------------------------------------------------------
# Password given to every demo user by ``seed_demo`` (a local demo only).
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "wcc-demo")
# Whether the login page lists the demo users and their password (on by default only
# with DEBUG, as under ``make run``; never on a real deployment).
SHOW_DEMO_LOGINS = env_bool("SHOW_DEMO_LOGINS", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every layout step at INFO; keep its warnings only.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pypdf logs each repair it makes while reading an uploaded PDF; the upload check
        # (assessments.evidence_files) says what matters.
        "pypdf": {"level": "ERROR"},
    },
}
