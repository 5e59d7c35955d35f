"""Django settings for the gateway, read once from the environment (django-environ)."""

from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from gateway_project.caches import caches_setting
from gateway_project.env_file import read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
read_env_file(BASE_DIR)


def _read(name, cast, default=environ.Env.NOTSET):
    """Read one setting; a malformed value fails at start with the setting's name."""
    try:
        return cast(name, default=default)
    except ImproperlyConfigured:
        raise
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Setting {name} is malformed: {exc}") from None


_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def _strict_bool(name, default=environ.Env.NOTSET):
    """django-environ reads any unknown word as false; a typo must not turn a guard off."""
    raw = env.str(name, default="")
    if raw == "" and default is not environ.Env.NOTSET:
        return default
    if raw.strip().lower() not in _BOOLEANS:
        raise ValueError(f"expected true or false, got {raw[:20]!r}")
    return _BOOLEANS[raw.strip().lower()]


def _required(name):
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Setting {name} is missing: set it in the environment or in .env "
            "(`make env` writes a .env with fresh secrets)."
        )
    return value


def _fernet_keys(name):
    keys = [k.strip() for k in _required(name).split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"Setting {name} is malformed: each comma-separated key must be a Fernet key "
                "(32 url-safe base64 bytes; python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            ) from None
    return keys


def _positive(name, cast, default):
    value = _read(name, cast, default)
    if value <= 0:
        raise ImproperlyConfigured(f"Setting {name} must be greater than zero, not {value}.")
    return value


DEBUG = _read("DEBUG", _strict_bool, False)
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "gateway_project.apps.GatewayAdminConfig",  # django.contrib.admin on the gateway's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "keys.apps.KeysConfig",
    "models_api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "models_api.api.middleware.GatewayHeadersMiddleware",
    "models_api.api.limits.RequestLimitsMiddleware",  # sizes, then a NUL in the query: any route
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "models_api.api.compression.GZipMiddleware",  # Django's, but never on event streams
    "django.middleware.common.CommonMiddleware",  # ALLOWED_HOSTS, Content-Length
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The admin console's. /v1/ requests pass straight by the console_only ones; CSRF and axes
    # keep their own paths, which `check --deploy` and django-axes' checks look for.
    "models_api.api.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "models_api.api.middleware.AuthenticationMiddleware",
    "models_api.api.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

# django-axes first: a locked-out admin login is refused before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "gateway_project.urls"
WSGI_APPLICATION = "gateway_project.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": _read("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", _read("DATABASE_CONN_MAX_AGE", env.int, 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers queue for SQLite's lock (up to 30 s) instead of failing with "database is
    # locked" when two syncs or an admin save and a sync overlap.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=30)
# Without CACHE_URL, every process on the machine shares one SQLite-backed cache in
# GATEWAY_CACHE_DIR (gateway_project/caches.py): revocation, rate limits and cached answers
# then hold across workers as they do on Redis. CACHE_URL (Redis) for several machines.
GATEWAY_CACHE_DIR = BASE_DIR / _read("GATEWAY_CACHE_DIR", env.str, "var/cache")  # relative: to here
GATEWAY_CACHE_MAX_MB = _positive("GATEWAY_CACHE_MAX_MB", env.int, 256)
try:
    CACHES = caches_setting(
        url=_read("CACHE_URL", env.str, ""),
        directory=GATEWAY_CACHE_DIR,
        max_bytes=GATEWAY_CACHE_MAX_MB * 1024 * 1024,
    )
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"Setting CACHE_URL is malformed: {exc}") from None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["keys.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["keys.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["models_api.api.rendering.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "models_api.api.rendering.Negotiation",
    "EXCEPTION_HANDLER": "models_api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI gateway models API",
    "DESCRIPTION": "OpenAI-compatible GET /v1/models behind Portkey-style routing headers.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the schema is public: it holds no secret
}

# Security: production defaults, relaxed only by DEBUG or explicitly.
SESSION_COOKIE_SECURE = _read("SESSION_COOKIE_SECURE", _strict_bool, not DEBUG)
CSRF_COOKIE_SECURE = _read("CSRF_COOKIE_SECURE", _strict_bool, not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", _strict_bool, not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read("SECURE_HSTS_INCLUDE_SUBDOMAINS", _strict_bool, not DEBUG)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", _strict_bool, False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _read("SECURE_PROXY_SSL_HEADER", _strict_bool, False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])

# Admin login lockout (django-axes). Attempts live in the database, so every process sees them.
# Locking the username+IP pair stops guessing without letting anyone lock out an admin
# from elsewhere, and works behind a proxy where every client shares one address.
AXES_FAILURE_LIMIT = _positive("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = _positive("AXES_COOLOFF_MINUTES", env.int, 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Gateway settings (DESIGN section 9).
GATEWAY_ENCRYPTION_KEYS = _fernet_keys("GATEWAY_ENCRYPTION_KEYS")
GATEWAY_CONTROL_PLANE_URL = _read("GATEWAY_CONTROL_PLANE_URL", env.str, "").rstrip("/")
GATEWAY_CONTROL_PLANE_API_KEY = _read("GATEWAY_CONTROL_PLANE_API_KEY", env.str, "")
GATEWAY_UPSTREAM_TIMEOUT = _positive("GATEWAY_UPSTREAM_TIMEOUT", env.float, 10.0)
GATEWAY_MODELS_CACHE_TTL = _read("GATEWAY_MODELS_CACHE_TTL", env.int, 300)
GATEWAY_MODELS_STALE_TTL = _read("GATEWAY_MODELS_STALE_TTL", env.int, 86400)
GATEWAY_TRUSTED_CUSTOM_HOSTS = [
    h.lower() for h in _read("GATEWAY_TRUSTED_CUSTOM_HOSTS", env.list, [])
]
GATEWAY_REQUIRE_API_KEY = _read("GATEWAY_REQUIRE_API_KEY", _strict_bool, True)
GATEWAY_MAX_RESPONSE_BYTES = _positive("GATEWAY_MAX_RESPONSE_BYTES", env.int, 16 * 1024 * 1024)
# A stream may last minutes: only a silence this long between two of its chunks ends it.
GATEWAY_STREAM_IDLE_TIMEOUT = _positive("GATEWAY_STREAM_IDLE_TIMEOUT", env.float, 60.0)
# Bodies of POST /v1/chat/completions, /v1/completions, /v1/embeddings (413 beyond).
GATEWAY_MAX_REQUEST_BYTES = _positive("GATEWAY_MAX_REQUEST_BYTES", env.int, 32 * 1024 * 1024)
GATEWAY_MAX_PAGES = _positive("GATEWAY_MAX_PAGES", env.int, 50)
GATEWAY_CONTROL_PLANE_CACHE_TTL = _read("GATEWAY_CONTROL_PLANE_CACHE_TTL", env.int, 30)
# When set, GET /metrics requires "Authorization: Bearer <token>" (Prometheus: authorization).
GATEWAY_METRICS_TOKEN = _read("GATEWAY_METRICS_TOKEN", env.str, "")

DEFAULT_EXCEPTION_REPORTER_FILTER = "models_api.redaction.SecretsReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "refused_requests": {
            "()": "models_api.logging_filters.RefusedRequestLines",
            "per_minute": 10,
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "refused_requests": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refused_requests"],
        },
    },
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "propagate": True},
        # Requests Django refuses with a 400 (bad Host header, too many fields, ...): anyone
        # can send them, so one short line each, and a bounded number a minute.
        "django.security": {"handlers": ["refused_requests"], "level": "INFO", "propagate": False},
    },
}
