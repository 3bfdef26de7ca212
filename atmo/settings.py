"""Django settings for ATMO.

Every deploy-time knob is read from the environment (see ``.env-dist`` and the
configuration page of the docs). ``ATMO_ENVIRONMENT`` names the environment:

* ``dev``   – a developer's machine (``make run``); DEBUG on, local AWS and OIDC.
* ``test``  – the test suite (``atmo.settings_test`` selects it).
* ``stage``/``prod`` – deployed; refuses to start with insecure or missing values.
* ``build`` – only for ``collectstatic`` while building the container image.

The name also ends up in EMR job-flow names and the ``Environment`` tag.

The reference below lists ATMO's own settings; Django's and the libraries'
(Celery's ``CELERY_*``, mozilla-django-oidc's ``OIDC_*``, ...) mean what their
documentation says, and the comments next to them say why a value was chosen.
The values shown are those of the docs build, which runs in the test environment.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.contrib.messages import constants as message_constants
from django.core.exceptions import ImproperlyConfigured

from atmo.lib.env import envbool, envfloat, envint, envlist, envstr, require

BASE_DIR = Path(__file__).resolve().parent.parent

#: The environments ``ATMO_ENVIRONMENT`` may name.
ENVIRONMENTS = ("dev", "test", "stage", "prod", "build")
#: This process's environment, from ``ATMO_ENVIRONMENT`` (default ``dev``).
ENVIRONMENT = envstr("ATMO_ENVIRONMENT", "dev").strip().lower()
if ENVIRONMENT not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"ATMO_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {ENVIRONMENT!r}"
    )
#: A deployed site: required values have no default, insecure ones are refused.
IS_DEPLOYED = ENVIRONMENT in ("stage", "prod")
# What the readers' ``required_in`` takes: a deployed site gets no local default,
# and refuses to start without the value.
_DEPLOYED = ENVIRONMENT if IS_DEPLOYED else None
#: A developer's machine or the test suite.
IS_LOCAL = ENVIRONMENT in ("dev", "test")

# --- Core ------------------------------------------------------------------

INSECURE_SECRET_KEY = "insecure-development-key-never-use-it-in-production"
SECRET_KEY = envstr("DJANGO_SECRET_KEY", INSECURE_SECRET_KEY, required_in=_DEPLOYED)
DEBUG = envbool("DJANGO_DEBUG", ENVIRONMENT == "dev")
# Deployed sites have no default: a forgotten value must stop them, not leave them
# answering to localhost only.
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"], required_in=_DEPLOYED)
#: The public URL of the site, without a trailing slash, for links in emails.
SITE_URL = envstr("DJANGO_SITE_URL", "http://localhost:8000", required_in=_DEPLOYED).rstrip("/")

if IS_DEPLOYED:
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be a random value of at least 50 characters, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    if DEBUG:
        raise ImproperlyConfigured(f"DJANGO_DEBUG must be off when ATMO_ENVIRONMENT={ENVIRONMENT}")
    # "/" alone is a value, but nothing is left of it once the slash goes.
    require("DJANGO_SITE_URL", SITE_URL, ENVIRONMENT)

ROOT_URLCONF = "atmo.urls"
WSGI_APPLICATION = "atmo.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "atmo.apps.AtmoAppConfig",
    "atmo.clusters",
    "atmo.jobs",
    "atmo.keys.apps.KeysAppConfig",
    "atmo.users",
    "atmo.stats",
    "atmo.monitoring",
    "atmo.costs",
    "atmo.api",
    "atmo.notifications.apps.NotificationsAppConfig",
    # Third party
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "guardian",
    "constance",
    "dockerflow.django",
    "csp",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "mozilla_django_oidc",  # must come after django.contrib.auth
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # Outermost, so that it counts and times every answer, redirects and heartbeats included.
    "atmo.monitoring.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # dockerflow's, with a heartbeat that also checks the scheduler, sweeps and workers.
    "atmo.monitoring.heartbeat.HeartbeatMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the live regions' polls (atmo.live).
    "django_htmx.middleware.HtmxMiddleware",
    # A deleted object's page: 410 with what it was, for its owner (atmo.tombstones).
    "atmo.tombstones.GoneMiddleware",
    # After authentication: a disabled account's session gets a 403 page saying why.
    "atmo.users.middleware.DisabledAccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]
if IS_DEPLOYED:
    # Re-checks the OIDC session with the provider every OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS,
    # so a user removed at the provider loses access here too.
    MIDDLEWARE.append("mozilla_django_oidc.middleware.SessionRefresh")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "constance.context_processors.config",
                "atmo.context_processors.settings",
                "atmo.context_processors.version",
                "atmo.context_processors.alerts",
            ],
            "libraries": {"atmo": "atmo.templatetags"},
        },
    }
]
# Every form renders through atmo/templates/atmo/forms/{form,field}.html.
FORM_RENDERER = "atmo.forms.FormRenderer"

# --- Stores ----------------------------------------------------------------

DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}", required_in=_DEPLOYED)
if ENVIRONMENT == "build":
    DATABASE_URL = "sqlite://:memory:"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60 if IS_DEPLOYED else 0),
        conn_health_checks=True,
        ssl_require=envbool("DATABASE_SSL_REQUIRE", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The local SQLite file is shared by the web, worker and scheduler processes.
    # IMMEDIATE takes the write lock when a transaction begins, so a second writer
    # waits for the first (as a row lock makes it wait on PostgreSQL) instead of
    # failing later with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

REDIS_URL = envstr("REDIS_URL", "redis://127.0.0.1:6379/0", required_in=_DEPLOYED)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        "KEY_PREFIX": "atmo",
    }
}
# Sessions are written to PostgreSQL and read through the cache: a flushed or
# restarted Redis costs one query per session, not everybody's login.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = envint("DJANGO_SESSION_COOKIE_AGE", 60 * 60 * 24 * 7)

# --- Authentication ----------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # Django's model permissions; password logins only with ATMO_BREAK_GLASS_PASSWORD_LOGIN.
    "atmo.users.backends.BreakGlassModelBackend",
    "atmo.users.backends.AtmoOIDCAuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
#: Break glass: let ``/admin/login/`` log people in with a password (set with
#: ``manage.py changepassword``) when single sign-on is down. Off, nobody logs in
#: with a password anywhere; turn it off again once the provider is back.
ATMO_BREAK_GLASS_PASSWORD_LOGIN = envbool("ATMO_BREAK_GLASS_PASSWORD_LOGIN", False)
LOGIN_URL = "users-login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "users-login"
LOGIN_REDIRECT_URL_FAILURE = "/users/login/failed/"  # mozilla-django-oidc wants a path

# The defaults point at the local provider that `make run` starts (oidc-provider-mock).
_LOCAL_OIDC = "http://127.0.0.1:9400"
OIDC_RP_CLIENT_ID = envstr("OIDC_RP_CLIENT_ID", "atmo-local", required_in=_DEPLOYED)
OIDC_RP_CLIENT_SECRET = envstr("OIDC_RP_CLIENT_SECRET", "atmo-local-secret", required_in=_DEPLOYED)
OIDC_OP_AUTHORIZATION_ENDPOINT = envstr(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", f"{_LOCAL_OIDC}/oauth2/authorize", required_in=_DEPLOYED
)
OIDC_OP_TOKEN_ENDPOINT = envstr(
    "OIDC_OP_TOKEN_ENDPOINT", f"{_LOCAL_OIDC}/oauth2/token", required_in=_DEPLOYED
)
OIDC_OP_USER_ENDPOINT = envstr("OIDC_OP_USER_ENDPOINT", f"{_LOCAL_OIDC}/userinfo", required_in=_DEPLOYED)
OIDC_OP_JWKS_ENDPOINT = envstr("OIDC_OP_JWKS_ENDPOINT", f"{_LOCAL_OIDC}/jwks", required_in=_DEPLOYED)
OIDC_RP_SIGN_ALGO = envstr("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
# The local provider's ID tokens carry no key id; only turn this off against it.
OIDC_VERIFY_KID = envbool("OIDC_VERIFY_KID", True)
OIDC_USERNAME_ALGO = "atmo.users.utils.generate_username_from_email"
# SessionRefresh (deployed sites) answers an expired ID token on a GET with a
# redirect to the provider. A page's own fetches cannot follow it (the provider is
# another origin), so the endpoints only scripts call are left out: they would fail
# silently. The pages themselves stay covered. When a live region's poll (a GET,
# atmo/live.py) is redirected there, it fails, and static/js/atmo.js asks the user
# to reload, which renews the session through the provider.
#: The URLs SessionRefresh leaves alone: the login pages, and the endpoints only the
#: pages' scripts call, which could not follow its redirect to the provider.
OIDC_EXEMPT_URLS = [
    "users-login",
    "users-login-failed",
    "news-check",
    "news-list",
    "jobs-identifier-available",
]
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = envint("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", 15 * 60)

#: Only people with an email address in one of these domains may log in (empty: anyone
#: the provider lets through).
ATMO_ALLOWED_EMAIL_DOMAINS = [d.lower() for d in envlist("ATMO_ALLOWED_EMAIL_DOMAINS")]
#: People in this domain get their email's local part as username ("jane" for
#: jane@example.com); everybody else keeps the full address, which stays unique.
ATMO_SHORT_USERNAME_DOMAIN = envstr("ATMO_SHORT_USERNAME_DOMAIN").lower()

ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
#: The group whose members may see every Spark job (made by a migration).
SPARK_JOB_MAINTAINERS_GROUP = "Spark job maintainers"

# --- Security headers --------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", IS_DEPLOYED)
SECURE_HSTS_SECONDS = envint("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if IS_DEPLOYED else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", IS_DEPLOYED)
SECURE_HSTS_PRELOAD = envbool("DJANGO_SECURE_HSTS_PRELOAD", IS_DEPLOYED)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = IS_DEPLOYED
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = IS_DEPLOYED
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: every page's behaviour lives in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Static files --------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_ROOT = BASE_DIR / "static" / "public"  # favicon, robots.txt at the site root
# Locally, serve straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = IS_LOCAL
WHITENOISE_AUTOREFRESH = IS_LOCAL
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not IS_LOCAL
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Internationalisation: everything is UTC and shown as such ------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"

MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# --- Mail ------------------------------------------------------------------------

EMAIL_BACKEND = envstr(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if ENVIRONMENT == "dev"
    else "django.core.mail.backends.smtp.EmailBackend",
)
#: Where the file-based backend (which `make run` uses) writes mails; /dev/mail/ shows them.
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(BASE_DIR / ".local" / "mail"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "atmo@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[ATMO] "

# --- AWS -------------------------------------------------------------------------

AWS_DEFAULT_REGION = envstr("AWS_DEFAULT_REGION", "us-west-2")


class AWSConfig(TypedDict):
    """The shape of ``AWS_CONFIG`` (Django reads only upper-case names, not this class)."""

    AWS_REGION: str
    EC2_KEY_NAME: str
    MASTER_INSTANCE_TYPE: str
    WORKER_INSTANCE_TYPE: str
    INSTANCE_APP_TAG: str
    ACCOUNTING_APP_TAG: str
    ACCOUNTING_TYPE_TAG: str
    MAX_CLUSTER_SIZE: int
    MAX_CLUSTER_LIFETIME: int
    CODE_BUCKET: str
    PUBLIC_DATA_BUCKET: str
    PRIVATE_DATA_BUCKET: str
    LOG_BUCKET: str


#: What the provisioners need to know about the AWS account: instance types, tags,
#: limits and bucket names (see the configuration table for the variables).
AWS_CONFIG: AWSConfig = {
    "AWS_REGION": AWS_DEFAULT_REGION,
    "EC2_KEY_NAME": envstr("AWS_EC2_KEY_NAME", "atmo"),
    # Master and workers must share a type: the bootstrap script tunes Spark from it.
    "MASTER_INSTANCE_TYPE": envstr("AWS_INSTANCE_TYPE", "c3.4xlarge"),
    "WORKER_INSTANCE_TYPE": envstr("AWS_INSTANCE_TYPE", "c3.4xlarge"),
    "INSTANCE_APP_TAG": "atmo-worker-instance",
    "ACCOUNTING_APP_TAG": "atmo",
    "ACCOUNTING_TYPE_TAG": "worker",
    "MAX_CLUSTER_SIZE": envint("ATMO_MAX_CLUSTER_SIZE", 30),
    "MAX_CLUSTER_LIFETIME": envint("ATMO_MAX_CLUSTER_LIFETIME", 24),
    "CODE_BUCKET": envstr("AWS_CODE_BUCKET", "atmo-code"),
    "PUBLIC_DATA_BUCKET": envstr("AWS_PUBLIC_DATA_BUCKET", "atmo-public-data"),
    "PRIVATE_DATA_BUCKET": envstr("AWS_PRIVATE_DATA_BUCKET", "atmo-private-data"),
    "LOG_BUCKET": envstr("AWS_LOG_BUCKET", "atmo-logs"),
}
#: The URL prefix of public job results: the public bucket as the browser reaches it.
PUBLIC_DATA_URL = envstr(
    "ATMO_PUBLIC_DATA_URL",
    f"https://s3-{AWS_DEFAULT_REGION}.amazonaws.com/{AWS_CONFIG['PUBLIC_DATA_BUCKET']}/",
)

# --- Uploads -----------------------------------------------------------------------

#: The largest notebook a Spark job may upload. The form checks the size Django
#: already knows before reading anything, and the whole file then goes to S3 and,
#: for re-submission after a form error, to the cache: keep it modest.
ATMO_MAX_NOTEBOOK_BYTES = envint("ATMO_MAX_NOTEBOOK_BYTES", 10 * 1024 * 1024)
if ATMO_MAX_NOTEBOOK_BYTES < 1:
    raise ImproperlyConfigured("ATMO_MAX_NOTEBOOK_BYTES must be a positive number of bytes")
# Uploads above this are spooled to a temporary file instead of memory, so a large
# (or oversized, soon refused) notebook does not sit in a worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Everything but files: ATMO's forms are a few short fields, Django's 2.5 MB is plenty.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Live settings (django-constance), editable in the admin -----------------------

CONSTANCE_BACKEND = "constance.backends.redisd.RedisBackend"
CONSTANCE_REDIS_CONNECTION_CLASS = "django_redis.get_redis_connection"
CONSTANCE_REDIS_PREFIX = "constance:atmo:"
CONSTANCE_ADDITIONAL_FIELDS = {
    "announcement_style": [
        "django.forms.fields.ChoiceField",
        {
            "widget": "django.forms.Select",
            "choices": (
                ("success", "Success (green)"),
                ("info", "Info (blue)"),
                ("warning", "Warning (yellow)"),
                ("danger", "Danger (red)"),
            ),
        },
    ],
    "announcement_title": ["django.forms.fields.CharField", {"widget": "django.forms.TextInput"}],
}
#: The live settings operators edit in the admin (*Constance › Config*), with their
#: defaults; they take effect at once, without a deploy.
CONSTANCE_CONFIG = {
    "ANNOUNCEMENT_ENABLED": (False, "Show the announcement on every page.", bool),
    "ANNOUNCEMENT_STYLE": ("info", "The colour of the announcement.", "announcement_style"),
    "ANNOUNCEMENT_TITLE": ("Announcement", "The announcement's heading.", "announcement_title"),
    "ANNOUNCEMENT_CONTENT": ("", "The announcement's text.", str),
    "ANNOUNCEMENT_CONTENT_MARKDOWN": (False, "Render the text as Markdown.", bool),
    "AWS_USE_SPOT_INSTANCES": (True, "Use spot instances for the core nodes.", bool),
    "AWS_SPOT_BID_CORE": (0.84, "Spot bid price for core nodes, in USD per hour.", float),
    "AWS_EFS_DNS": (envstr("AWS_EFS_DNS", "fs-local.efs.us-west-2.amazonaws.com"), "EFS DNS name.", str),
    "AWS_SPARK_EMR_BUCKET": (
        envstr("AWS_SPARK_EMR_BUCKET", "atmo-spark-emr"),
        "S3 bucket with the bootstrap script, steps and Spark configuration.",
        str,
    ),
    "AWS_SPARK_INSTANCE_PROFILE": (
        envstr("AWS_SPARK_INSTANCE_PROFILE", "atmo-spark-instance-profile"),
        "IAM instance profile of the cluster nodes (EMR JobFlowRole).",
        str,
    ),
    "CLUSTER_IDLE_TIMEOUT_HOURS": (
        2,
        "Hours a cluster may sit idle (no step running) before EMR stops it; what the launch form offers.",
        int,
    ),
    "BUDGET_HARD_STOP": (
        False,
        "When a budget is used up, also stop the scheduled runs of its users' jobs (not only new clusters "
        "and manual runs).",
        bool,
    ),
    "CLUSTER_IDLE_TIMEOUT_MIN_HOURS": (1, "The shortest idle timeout a user may choose, in hours.", int),
    "CLUSTER_IDLE_TIMEOUT_MAX_HOURS": (
        24,
        "The longest idle timeout a user may choose, in hours (EMR allows at most 168).",
        int,
    ),
    "API_RATE_LIMIT": (
        120,
        "API requests per minute per access token (per user for a browser session); 0 turns the limit off.",
        int,
    ),
    "WEBHOOK_ALLOWED_HOSTS": (
        "",
        "Host names (comma-separated) that webhooks may reach although they resolve to a private, "
        "loopback or link-local address, e.g. an internal chat server.",
        str,
    ),
}
CONSTANCE_CONFIG_FIELDSETS = {
    "Announcements": (
        "ANNOUNCEMENT_ENABLED",
        "ANNOUNCEMENT_STYLE",
        "ANNOUNCEMENT_TITLE",
        "ANNOUNCEMENT_CONTENT",
        "ANNOUNCEMENT_CONTENT_MARKDOWN",
    ),
    "AWS": (
        "AWS_USE_SPOT_INSTANCES",
        "AWS_SPOT_BID_CORE",
        "AWS_EFS_DNS",
        "AWS_SPARK_EMR_BUCKET",
        "AWS_SPARK_INSTANCE_PROFILE",
    ),
    "Costs": (
        "CLUSTER_IDLE_TIMEOUT_HOURS",
        "CLUSTER_IDLE_TIMEOUT_MIN_HOURS",
        "CLUSTER_IDLE_TIMEOUT_MAX_HOURS",
        "BUDGET_HARD_STOP",
    ),
    "API": ("API_RATE_LIMIT",),
    "Webhooks": ("WEBHOOK_ALLOWED_HOSTS",),
}

# --- REST API (Django REST framework, drf-spectacular) ----------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "atmo.api.authentication.AccessTokenAuthentication",
        "atmo.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["atmo.api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["atmo.api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "atmo.api.pagination.NewestFirstCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "atmo.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ATMO API",
    "DESCRIPTION": (
        "Launch clusters and schedule Spark jobs from scripts. Authenticate with a personal "
        "access token (`Authorization: Bearer atmo_…`), made on the API tokens page. "
        "Errors are RFC 9457 problem details (`application/problem+json`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "JobFlowStateEnum": "atmo.models.JobFlowState",
        "WebhookEventEnum": "atmo.notifications.Event",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "atmo.api.schema.add_problem_responses",
    ],
}

# --- Celery --------------------------------------------------------------------------

CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 600
#: The longest wait before a retry, in seconds (:meth:`atmo.celery.AtmoCelery.backoff`
#: never exceeds it).
ATMO_RETRY_BACKOFF_CAP: float = 60 * 60
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "fanout_prefix": True,
    "fanout_patterns": True,
    # Redis gives a message that stays unacknowledged longer than this to another
    # worker. A worker holds one at most for a retry's countdown (up to the backoff
    # cap) plus its run (up to the hard time limit; tasks ack late), so the timeout
    # must exceed both, here with ten minutes to spare. It is also how long a task
    # lost with its worker waits to be redelivered: keep it no longer than that.
    "visibility_timeout": ATMO_RETRY_BACKOFF_CAP + CELERY_TASK_TIME_LIMIT + 10 * 60,
}
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 60 * 60 * 24 * 14
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_DISABLE_RATE_LIMITS = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# redbeat, writing the static entries below again when Redis lost them (atmo.beat).
CELERY_BEAT_SCHEDULER = "atmo.beat.ReseedingRedBeatScheduler"
# redbeat only notices entries saved by the web process when beat wakes up.
CELERY_BEAT_MAX_LOOP_INTERVAL: float = 5
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_REDIS_OPTIONS: dict[str, object] = {}
CELERY_REDBEAT_LOCK_TIMEOUT = 25
#: How often cluster states are copied from EMR: every 5 minutes, as real clusters
#: take minutes to start; the local emulator moves in seconds. Lower it for pages
#: that notice a ready cluster sooner (each sync is one ListClusters call per 50).
ATMO_CLUSTER_SYNC_SECONDS = envint("ATMO_CLUSTER_SYNC_SECONDS", 5 if ENVIRONMENT == "dev" else 300)
#: How often the states of job runs are copied from EMR: every 15 minutes (a run
#: takes as long as its notebook; its history needs no faster updates).
ATMO_JOB_SYNC_SECONDS = envint("ATMO_JOB_SYNC_SECONDS", 5 if ENVIRONMENT == "dev" else 900)
#: How long after a run failed a job with retries tries it again (the emulator's
#: compressed timings locally; ten minutes against AWS, time for a passing outage to pass).
ATMO_JOB_RETRY_DELAY_SECONDS = envint("ATMO_JOB_RETRY_DELAY_SECONDS", 10 if ENVIRONMENT == "dev" else 600)


def sync_options(seconds: int, expires_share: float) -> dict[str, int]:
    """Celery options of a status sync that runs every ``seconds``.

    It must finish well before the next one (soft limit: 30 s early, at least 50 s),
    and a sync no worker picked up within ``expires_share`` of the interval is
    dropped: the next one is due soon and does the same work.
    """
    return {"soft_time_limit": max(seconds - 30, 50), "expires": max(round(seconds * expires_share), 1)}


#: Periodic sweeps: each entry names its task by dotted path; "expires" drops runs
#: that piled up while no worker was there, rather than running them all at once.
CELERY_BEAT_SCHEDULE = {
    "deactivate_clusters": {
        "task": "atmo.clusters.tasks.deactivate_clusters",
        "schedule": crontab(minute="*"),
        "options": {"soft_time_limit": 15, "expires": 40},
    },
    "send_expiration_mails": {
        "task": "atmo.clusters.tasks.send_expiration_mails",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
    "update_clusters": {
        "task": "atmo.clusters.tasks.update_clusters",
        "schedule": timedelta(seconds=ATMO_CLUSTER_SYNC_SECONDS),
        "options": sync_options(ATMO_CLUSTER_SYNC_SECONDS, expires_share=0.6),
    },
    # The schedule of every Spark job: its slots are in PostgreSQL, this sends those that came.
    "dispatch_jobs": {
        "task": "atmo.jobs.tasks.dispatch_jobs",
        "schedule": timedelta(seconds=30),
        "options": {"soft_time_limit": 25, "expires": 25},
    },
    "expire_jobs": {
        "task": "atmo.jobs.tasks.expire_jobs",
        "schedule": crontab(minute="*"),
        "options": {"soft_time_limit": 15, "expires": 40},
    },
    "send_run_alert_mails": {
        "task": "atmo.jobs.tasks.send_run_alert_mails",
        "schedule": crontab(minute="*"),
        "options": {"expires": 40},
    },
    "check_budgets": {
        "task": "atmo.costs.tasks.check_budgets",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
    "update_jobs_statuses": {
        "task": "atmo.jobs.tasks.update_jobs_statuses",
        "schedule": timedelta(seconds=ATMO_JOB_SYNC_SECONDS),
        "options": sync_options(ATMO_JOB_SYNC_SECONDS, expires_share=2 / 3),
    },
    "sweep_webhook_deliveries": {
        "task": "atmo.notifications.tasks.sweep_webhook_deliveries",
        "schedule": crontab(minute="*"),
        "options": {"soft_time_limit": 30, "expires": 40},
    },
    "retry_failed_runs": {
        "task": "atmo.jobs.tasks.retry_failed_runs",
        "schedule": timedelta(seconds=ATMO_JOB_SYNC_SECONDS),
        "options": sync_options(ATMO_JOB_SYNC_SECONDS, expires_share=2 / 3),
    },
    "clean_orphan_obj_perms": {
        "task": "atmo.tasks.cleanup_permissions",
        "schedule": crontab(hour=3, minute=30),
    },
    "clear_expired_sessions": {
        "task": "atmo.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=45),
    },
}

# --- Operations -----------------------------------------------------------------------

DOCKERFLOW_CHECKS = [
    "dockerflow.django.checks.check_database_connected",
    "dockerflow.django.checks.check_migrations_applied",
    "atmo.checks.check_redis_connected",
]
DOCKERFLOW_VERSION_CALLBACK = "atmo.version.get_version"
#: What ``/__heartbeat__`` checks besides ``DOCKERFLOW_CHECKS``: is the scheduler beating, has
#: every sweep run on time, does a worker answer? Not system checks: ``migrate`` runs those.
ATMO_LIVENESS_CHECKS = [
    "atmo.monitoring.checks.check_scheduler_beating",
    "atmo.monitoring.checks.check_sweeps_on_time",
    "atmo.monitoring.checks.check_workers_answering",
]
#: Seconds without a beat after which the scheduler counts as stopped: three of its loops.
ATMO_SCHEDULER_STALE_SECONDS = 3 * CELERY_BEAT_MAX_LOOP_INTERVAL
#: Seconds the heartbeat waits for a worker to answer its ping.
ATMO_WORKER_PING_TIMEOUT = 1.0

#: The bearer token Prometheus sends to scrape ``/metrics``. Unset: the endpoint is open
#: on a developer's machine and absent on a deployed site.
ATMO_METRICS_TOKEN = envstr("ATMO_METRICS_TOKEN")
#: The port a Celery worker serves its metrics on, with no token (0: it does not). Publish it
#: to the private network only, and scrape every worker replica.
ATMO_WORKER_METRICS_PORT = envint("ATMO_WORKER_METRICS_PORT", 0)
# Prometheus usually scrapes over the internal network in plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]

#: Where errors are reported (off when unset); see :mod:`atmo.monitoring.errors`.
SENTRY_DSN = envstr("SENTRY_DSN")
if SENTRY_DSN:
    from atmo.monitoring.errors import init_sentry
    from atmo.version import get_version

    init_sentry(
        SENTRY_DSN,
        environment=ENVIRONMENT,
        release=f"atmo@{(get_version(BASE_DIR) or {}).get('version', 'unknown')}",
    )

LOGGING_USE_JSON = envbool("DJANGO_LOGGING_USE_JSON", IS_DEPLOYED)
LOG_LEVEL = envstr("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "atmo"},
        "verbose": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOGGING_USE_JSON else "verbose",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "atmo": {"level": LOG_LEVEL},
        "celery": {"level": "INFO"},
        "redbeat": {"level": "INFO"},
        "django.request": {"level": "WARNING"},
        "request.summary": {"level": "INFO" if IS_DEPLOYED else "WARNING"},
        "mozilla_django_oidc": {"level": "INFO"},
    },
}

#: Seconds the dashboard and detail pages wait between change checks.
ATMO_POLL_INTERVAL = envfloat("ATMO_POLL_INTERVAL", 10.0)

#: Answer a user's pages from Redis while the data they show is unchanged (atmo.pagecache).
ATMO_PAGE_CACHE = envbool("ATMO_PAGE_CACHE", True)

#: Serve ``/_bench/bare/``: a view that does nothing but pass the site's middleware, which
#: ``make bench`` compares the pages against. Off everywhere else (the URL does not exist then).
ATMO_BENCHMARK_BARE_VIEW = envbool("ATMO_BENCHMARK_BARE_VIEW", False)
