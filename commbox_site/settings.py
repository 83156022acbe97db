"""Settings for the Commbox API module; every knob is named after its environment variable."""

from datetime import timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from apps.tenants.rates import parse_rate
from commbox_site.errortracking import start_error_tracking

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The operator's settings file (.env.example lists every variable); the environment wins over
# it. The test suite sets ENV_FILE empty, so a developer's .env never reaches the tests.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for a development key).")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

# Tenants live at <subdomain>.<BASE_DOMAIN>; a request on such a host is tied to that tenant.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower().strip(".")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", f".{BASE_DOMAIN}", BASE_DOMAIN]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # PostgreSQL's index operator classes (the users search's trigram indexes); inert on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    "csp",
    "axes",
    "apps.tenants",
    "apps.portal",
    "apps.users",
    "apps.roles",
    "apps.groups",
    "apps.tokens",
    "apps.audit",
    "apps.scim",
    "apps.sso",
]

MIDDLEWARE = [
    # Before the host check and the HTTPS redirect: load balancers probe by address over HTTP.
    "commbox_site.health.HealthCheckMiddleware",
    "commbox_site.requestlog.RequestLogMiddleware",
    "commbox_site.health.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves static files under gunicorn without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's own session, auth and messages middleware, skipped on /scim/ URLs.
    "commbox_site.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's own path, which `check --deploy` looks for; DRF's views are CSRF-exempt anyway.
    "django.middleware.csrf.CsrfViewMiddleware",
    "commbox_site.middleware.AuthenticationMiddleware",
    "commbox_site.middleware.EndSessionsOfDeactivatedUsersMiddleware",
    # Sessions are bound to their account on <subdomain>.<BASE_DOMAIN>.
    "commbox_site.middleware.AccountHostMiddleware",
    "commbox_site.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The product's 404 page, even with DEBUG on (the quick start).
    "apps.portal.errors.ProductNotFoundMiddleware",
    # django-csp's, with a fixed policy on SCIM's JSON.
    "commbox_site.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "commbox_site.urls"
WSGI_APPLICATION = "commbox_site.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A persistent connection that died with the server is noticed before the request uses it,
# so the first request after the database comes back succeeds.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that reads the socket instead of a SELECT 1.
    DATABASES["default"]["ENGINE"] = "commbox_site.postgresql"
    # An unreachable server fails the request within seconds (then 503), instead of hanging
    # a worker until gunicorn's timeout kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=2)
    )
    # PgBouncer in transaction pooling hands each transaction to any server connection:
    # named server-side cursors and prepared statements would not survive the hand-over.
    transaction_pooling = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = transaction_pooling
    # Parameters sent apart from the query text, so the text of a SCIM lookup is the same on
    # every request and psycopg prepares it after its fifth run: PostgreSQL then skips
    # planning it, which costs more than running it (a third of a millisecond for a user).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold", None if transaction_pooling else 5
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets gunicorn workers read while another writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
# userName is unique per tenant, not globally; TenantUserBackend resolves it with the tenant.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "apps.users.backends.SignInThrottleBackend",
    "apps.users.backends.TenantUserBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:settings"
LOGOUT_REDIRECT_URL = "portal:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# redis:// maps to Django's own RedisCache (redis-py) with the rate limiter's round trip
# (commbox_site/cache.py).
# Short socket timeouts: with Redis down or unreachable a request loses milliseconds, not
# seconds (rate limiting then fails open).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "commbox_site.cache.RedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.25),
            "socket_timeout": env.float("CACHE_TIMEOUT", default=0.25),
            "retry": Retry(NoBackoff(), 0),
        }
    )
CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="commbox"))
# Each process keeps the API tokens it has checked for this long, trusting them only while
# the tenant's access version in the shared cache is unchanged (apps/tenants/access.py). A
# per-process cache cannot tell other workers of a revocation, so with one tokens are not kept.
SHARED_CACHE = CACHES["default"]["BACKEND"] not in (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
TOKEN_CACHE_SECONDS = env.int("TOKEN_CACHE_SECONDS", default=30 if SHARED_CACHE else 0)
if TOKEN_CACHE_SECONDS > 0 and not SHARED_CACHE:
    raise ImproperlyConfigured(
        "TOKEN_CACHE_SECONDS needs a cache shared by every worker (CACHE_URL=redis://...)."
    )

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, not manifest-hashed: pages render without a collectstatic step in tests.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# HTTPS: the proxy terminates TLS and says so in X-Forwarded-Proto (it must overwrite
# any value a client sends). Plain-http requests are redirected, except the health
# checks, which the load balancer calls over http.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a submission to the browsers' lists that is hard to undo; it is the
    # operator's decision (SECURE_HSTS_PRELOAD=true), so its deploy-check nag is silenced.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Sessions live in the database: shared by every instance, and sign-in keeps working with
# Redis down (cached_db would fail a page when the cache cannot be written). Idle timeout:
# a session ends SESSION_COOKIE_AGE seconds after its last request (apps/users/sessions.py).
SESSION_ENGINE = "apps.users.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
# Absolute lifetime: a session signed in this many seconds ago is ended on its next request,
# however busy it stayed (apps/users/middleware.py).
SESSION_MAX_AGE = env.int("SESSION_MAX_AGE", default=24 * 60 * 60)
if SESSION_MAX_AGE <= 0:
    raise ImproperlyConfigured("SESSION_MAX_AGE is a number of seconds above 0.")

# Sign-in throttling (django-axes, failures in the database so every worker sees them):
# AXES_FAILURE_LIMIT failures per account-and-userName, or per client address, lock
# sign-in for AXES_COOLOFF_MINUTES from the failure that reached the limit.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "apps.portal.throttling.sign_in_key_of"
# The keyword authenticate() gets (the custom user model would make it "user_name").
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "apps.portal.throttling.locked_out"
AXES_ENABLE_ADMIN = False  # apps/portal/admin.py registers its models on our admin base.
AXES_VERBOSE = False
# The client address is the X-Forwarded-For entry the outermost of TRUSTED_PROXY_COUNT
# proxies appended (set below), which a client cannot forge; 0: the socket's address.
AXES_CLIENT_IP_CALLABLE = "apps.portal.throttling.client_address"

# Strict CSP: scripts and styles only from our own static files, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the empty favicon in base.html and the admin's inline SVG icons.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# How many proxies in front of the app append to X-Forwarded-For. 0: the header is ignored
# and the client is the socket's address (a client could otherwise pick its own address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

REST_FRAMEWORK: dict[str, object] = {
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}


def _rate(name: str, default: str) -> str:
    value = env.str(name, default=default)
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(
            f'{name} must look like "3000/m" or "600/10s", not {value!r}.'
        ) from None
    return value


# SCIM rate limits, shared by every worker and instance through the cache. Per API token:
# twice Entra's documented 25 requests/second, over a minute so its bursts fit. Failed
# authentications per client address: a misconfigured client or a scanner, slowed down.
SCIM_RATE_LIMIT_PER_TOKEN = _rate("SCIM_RATE_LIMIT_PER_TOKEN", "3000/m")
SCIM_RATE_LIMIT_FAILED_AUTH = _rate("SCIM_RATE_LIMIT_FAILED_AUTH", "30/m")
# Retry-After on a 503 while the database is unreachable.
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER", default=5)

# SCIM: the largest page a client may ask for, and how often a token's last use is written.
SCIM_MAX_PAGE_SIZE = env.int("SCIM_MAX_PAGE_SIZE", default=200)
# Operations in one PATCH: Entra sends one per changed attribute and lists group members
# inside one operation, so a few dozen at most; each costs queries, so the work is bounded.
SCIM_MAX_PATCH_OPERATIONS = env.int("SCIM_MAX_PATCH_OPERATIONS", default=100)
TOKEN_LAST_USED_RESOLUTION_SECONDS = 60
# The SCIM request log is buffered in each process and written in bulk this often (or once
# this many rows wait); 0 writes each row in its request.
SCIM_REQUEST_LOG_FLUSH_SECONDS = env.float("SCIM_REQUEST_LOG_FLUSH_SECONDS", default=1.0)
SCIM_REQUEST_LOG_FLUSH_ROWS = env.int("SCIM_REQUEST_LOG_FLUSH_ROWS", default=500)

# Retention, applied by manage.py prune_audit (README, "Retention"): audit events older
# than this many days (unset: kept forever), and SCIM request log rows older than this.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=None)
SCIM_REQUEST_LOG_RETENTION_DAYS = env.int("SCIM_REQUEST_LOG_RETENTION_DAYS", default=30)
if AUDIT_RETENTION_DAYS is not None and AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be 1 or more (unset: keep forever).")
if SCIM_REQUEST_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("SCIM_REQUEST_LOG_RETENTION_DAYS must be 1 or more.")

# SAML single sign-on. Pending sign-ins and the assertion replay cache live in CACHES
# ("default"): with several workers or instances, CACHE_URL must point at a shared cache.
SSO_CLOCK_SKEW_SECONDS = env.int("SSO_CLOCK_SKEW_SECONDS", default=120)
SSO_REQUEST_TTL_SECONDS = env.int("SSO_REQUEST_TTL_SECONDS", default=900)
SSO_METADATA_TIMEOUT_SECONDS = env.int("SSO_METADATA_TIMEOUT_SECONDS", default=10)
SSO_METADATA_MAX_BYTES = env.int("SSO_METADATA_MAX_BYTES", default=1024 * 1024)
# Anonymous sign-in starts per client address; each start keeps a pending request in the
# cache for SSO_REQUEST_TTL_SECONDS, and an account holds at most this many started in one
# such period (so at most twice as many at once). Offices share one address: be generous.
SSO_RATE_LIMIT_START_PER_ADDRESS = _rate("SSO_RATE_LIMIT_START_PER_ADDRESS", "200/10m")
SSO_MAX_PENDING_SIGN_INS_PER_ACCOUNT = env.int("SSO_MAX_PENDING_SIGN_INS_PER_ACCOUNT", default=2000)
# Responses refused before their signature was verified, per client address (over it, the
# address gets 429 without its responses being read) and per account (over it, refusals
# answer 429; a response that verifies is still accepted). Such refusals leave at most one
# audit row per account per period of the per-account rate, without the text they claim.
SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS = _rate("SSO_RATE_LIMIT_UNVERIFIED_PER_ADDRESS", "20/10m")
SSO_RATE_LIMIT_UNVERIFIED_PER_ACCOUNT = _rate("SSO_RATE_LIMIT_UNVERIFIED_PER_ACCOUNT", "200/10m")
# An App Federation Metadata URL on a loopback, private, link-local or other non-public
# address is refused (an admin's URL must not reach the server's own network); on for a
# development server, whose test IdP listens on 127.0.0.1.
SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "SSO_METADATA_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)

# One line per request from commbox.requests (RequestLogMiddleware); JSON in production.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f'LOG_FORMAT must be "json" or "text", not {LOG_FORMAT!r}.')
LOGGING: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "commbox_site.requestlog.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        # Django logs request paths on 4xx and 5xx: tokens in them are blanked on the way out.
        "redact_secrets": {"()": "apps.audit.redaction.RedactSecretsFilter"},
        # The request id, and the tenant once known, on every line written during a request.
        "request_context": {"()": "commbox_site.requestlog.RequestContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact_secrets"],
        },
        # Django's: a 500's report by mail to ADMINS, redacted (and the filter below).
        "mail_admins": {
            "class": "commbox_site.errortracking.RedactingAdminEmailHandler",
            "level": "ERROR",
            "filters": ["redact_secrets"],
        },
    },
    # Replaces the handlers of Django's default "django" logger (its own mail_admins, without
    # the redaction); lines still reach the console through the root.
    "loggers": {"django": {"handlers": ["mail_admins"], "level": "INFO"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Errors an operator sees (commbox_site/errortracking.py). ADMINS: "Name <address>" entries,
# comma-separated; each 500 is mailed to them through EMAIL_URL. Nobody by default.
ADMINS = [
    tuple(part.strip(" >") for part in entry.split("<", 1)) if "<" in entry else (entry, entry)
    for entry in env.list("ADMINS", default=[])
]
SERVER_EMAIL = env.str("SERVER_EMAIL", default="commbox@localhost")
# EMAIL_BACKEND, EMAIL_HOST, ... from one URL, as django-environ documents it.
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
# Error pages and mail hide POST fields and frame variables named like a credential.
DEFAULT_EXCEPTION_REPORTER_FILTER = "commbox_site.errortracking.RedactingExceptionReporterFilter"
try:
    VERSION = package_version("commbox-api-module")
except PackageNotFoundError:  # a checkout run without `pip install -e .`
    VERSION = "unknown"
# Sentry: unset (the default), the SDK is not started and nothing is sent.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
start_error_tracking(
    dsn=SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    release=f"commbox@{VERSION}",
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)

# While this file exists /healthz answers 503 "draining", so the proxy's health check takes
# the instance out of rotation before it is restarted (deploy/systemd/commbox@.service).
DRAIN_FILE = env.str("DRAIN_FILE", default="")

# /metrics (commbox_site/metrics.py): readable with `Authorization: Bearer METRICS_TOKEN`, or
# from one of METRICS_ALLOWED_ADDRESSES (client addresses, read as for sign-in throttling).
# With neither set, /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=[])
