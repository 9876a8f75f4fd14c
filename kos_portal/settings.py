"""One settings module for every environment, read from the environment.

With nothing set it runs on SQLite, runs Celery tasks inline and prints email to the
console. DATABASE_URL, CELERY_BROKER_URL and EMAIL_URL switch to real services.
"""

import base64
import hashlib
import os
import re
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kos_portal.logs import logging_config
from kos_portal.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", DEV_SECRET)
if not DEBUG and SECRET_KEY == DEV_SECRET:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Public base URL, used wherever an absolute link leaves the site (emails, QR codes).
SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "kos_portal",
    "clubs",
    "members",
    "training",
    "certificates",
    "resilience",
    "dashboards",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_htmx",
    "csp",
]

MIDDLEWARE = [
    "kos_portal.middleware.RejectNulBytesMiddleware",  # 400 before anything reads a NUL
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kos_portal.middleware.UserLanguageMiddleware",
    "kos_portal.middleware.PrivilegedSessionMiddleware",
    "kos_portal.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Requests that change what the dashboards count refresh the rollups (debounced).
    "dashboards.freshness.RollupsFollowChangesMiddleware",
    # Personal-data pages and files: Cache-Control no-store (#13).
    "kos_portal.no_store.NoStoreMiddleware",
]

ROOT_URLCONF = "kos_portal.urls"
WSGI_APPLICATION = "kos_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "kos_portal.context_processors.navigation",
            ],
            "builtins": ["kos_portal.templatetags.access"],
        },
    }
]

# Forms (issue #14, training-ux): one form and field template for every form, marking
# required fields and showing each error at its field.
FORM_RENDERER = "kos_portal.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "kos_portal.User"
# allauth's backend signs people in; RoleBackend only answers permissions.
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "kos_portal.access.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},  # issue #13; CommonPasswordValidator below
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# allauth: email login, verified email, no open sign-up (the adapter allows sign-up only
# through a valid invitation), enumeration protection on.
ACCOUNT_ADAPTER = "kos_portal.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# A reset request for an unknown address sends nothing: allauth's default "unknown account"
# email invites the reader to sign up, which is closed, and lets anyone mail any address.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[KOS] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# A security key (WebAuthn) counts as the second factor as well as TOTP (access.mfa_missing).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "KOS Portal"

# Staff sessions (kos_portal.roles.PRIVILEGED_ROLES) expire after this many idle seconds...
PRIVILEGED_SESSION_IDLE_SECONDS = int(env("PRIVILEGED_SESSION_IDLE_SECONDS", "1800"))
# ... and end this long after signing in, however active (issue #13).
PRIVILEGED_SESSION_MAX_SECONDS = int(env("PRIVILEGED_SESSION_MAX_SECONDS", str(12 * 3600)))
INVITATION_VALID_DAYS = int(env("INVITATION_VALID_DAYS", "7"))
# People who left every club more than this many years ago are anonymised (RODO).
MEMBER_RETENTION_YEARS = int(env("MEMBER_RETENTION_YEARS", "5"))
# Trust and preparedness pulse: a group (a survey, a month, a gmina's quarter) with fewer
# answers than this shows no results, so no single answer can be told apart (docs/pulse.md).
SURVEY_MIN_RESPONSES = int(env("SURVEY_MIN_RESPONSES", "5"))
# Answers a survey takes per client IP an hour; one per device is the cookie's job. Shared
# networks (a school's Wi-Fi, mobile carriers' NAT) hit it first: docs/pulse.md.
SURVEY_ANSWERS_PER_IP_HOUR = int(env("SURVEY_ANSWERS_PER_IP_HOUR", "5"))

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
# One Polish date format everywhere ("7 gru 2026"): kos_portal/formats/pl/formats.py.
FORMAT_MODULE_PATH = ["kos_portal.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console unless EMAIL_URL says otherwise (smtp://user:pass@host:587/?tls=True).
EMAIL_URL = env("EMAIL_URL")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "KOS Portal <noreply@kos.example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no broker the tasks run inline, so a newcomer needs no Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Bounded work and a web request that never waits on the broker (docs/certificates.md):
# - every task gets a soft limit (SoftTimeLimitExceeded, the task can retry) and a hard
#   one (the pool child is killed; the reconcilers re-queue what the database still wants);
# - publishing makes one attempt with short socket timeouts (kos_portal.tasks.task_publish),
#   so a Redis that is down costs a save milliseconds and a hung one about 2 s, once
#   per 30 s per process.
CELERY_TASK_SOFT_TIME_LIMIT = int(env("CELERY_TASK_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = int(env("CELERY_TASK_TIME_LIMIT", "360"))
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CELERY_BROKER_CONNECTION_TIMEOUT", "1"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": float(env("CELERY_BROKER_SOCKET_TIMEOUT", "2")),
    # Publishers' connect: one attempt (the worker's own reconnect loop passes its own).
    "max_retries": 0,
}
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["members-retention"] = {
    "task": "members.tasks.members_retention_task",
    "schedule": 24 * 60 * 60,  # daily
}
CELERY_BEAT_SCHEDULE["members-import-files-cleanup"] = {
    "task": "members.tasks.roster_import_files_cleanup_task",
    "schedule": 60 * 60,  # hourly: an uploaded roster lives at most 24 hours
}
# Certificates whose PDF has been pending this long are re-queued by the reconciler
# (docs/certificates.md): a killed worker's task may otherwise wait for Redis's
# visibility timeout (an hour).
CERTIFICATE_RENDER_STALE_SECONDS = int(env("CERTIFICATE_RENDER_STALE_SECONDS", "300"))
# One render's time limits (certificates/tasks.py): soft (retried) and hard (the pool child
# is killed; the reconciler re-queues the render).
CERTIFICATE_RENDER_SOFT_TIME_LIMIT = int(env("CERTIFICATE_RENDER_SOFT_TIME_LIMIT", "60"))
CERTIFICATE_RENDER_TIME_LIMIT = int(env("CERTIFICATE_RENDER_TIME_LIMIT", "90"))
CELERY_BEAT_SCHEDULE["certificates-render-reconcile"] = {
    "task": "certificates.tasks.certificate_render_reconcile_task",
    "schedule": 2 * 60,  # every 2 minutes
}
# Passes without a certificate get one, and "certificate ready" emails still due go out
# (docs/certificates.md): whatever crashed after the results were saved.
CELERY_BEAT_SCHEDULE["certificates-issue-reconcile"] = {
    "task": "certificates.tasks.certificate_issue_reconcile_task",
    "schedule": 2 * 60,  # every 2 minutes
}
# Gminas' yearly reports left pending too long are re-queued (docs/reports.md).
CELERY_BEAT_SCHEDULE["dashboards-report-reconcile"] = {
    "task": "dashboards.report_tasks.report_reconcile_task",
    "schedule": 5 * 60,  # every 5 minutes
}

# Reminders and alerts (docs/reminders.md). Beat must run as ONE process; a second beat
# would only queue duplicates, which ReminderLog then refuses to send.
KOS_EMAIL_FROM = env("KOS_EMAIL_FROM", DEFAULT_FROM_EMAIL)
KOS_EMAIL_FOOTER = env("KOS_EMAIL_FOOTER", "")  # plain text; empty: the programme's name
CERTIFICATE_REMINDER_DAYS = [int(d) for d in env_list("CERTIFICATE_REMINDER_DAYS", "90,30,7")]
QUALIFICATION_ALERT_DAYS = [int(d) for d in env_list("QUALIFICATION_ALERT_DAYS", "60,14")]
CELERY_BEAT_SCHEDULE["certificates-expiry-reminders"] = {
    "task": "certificates.reminder_tasks.certificate_expiry_reminders_task",
    "schedule": crontab(hour=7, minute=0),  # CELERY_TIMEZONE: 07:00 in Warsaw
}
CELERY_BEAT_SCHEDULE["certificates-session-reminders"] = {
    "task": "certificates.reminder_tasks.session_reminders_task",
    "schedule": 15 * 60,
}
CELERY_BEAT_SCHEDULE["certificates-qualification-alerts"] = {
    "task": "certificates.reminder_tasks.qualification_expiry_alerts_task",
    "schedule": crontab(hour=7, minute=15),
}
CELERY_BEAT_SCHEDULE["resilience-corrective-action-reminders"] = {
    "task": "resilience.tasks.corrective_action_reminders_task",
    "schedule": crontab(hour=7, minute=30),  # daily; each action is reminded once per due date
}
# Dashboards read rollup tables recomputed by this task (docs/rollups.md); the numbers are
# at most this many minutes old, plus the refresh's own duration.
ROLLUP_REFRESH_MINUTES = int(env("ROLLUP_REFRESH_MINUTES", "15"))
# After a change (dashboards/freshness.py): one refresh this long after the first change.
ROLLUP_DEBOUNCE_SECONDS = int(env("ROLLUP_DEBOUNCE_SECONDS", "10"))
CELERY_BEAT_SCHEDULE["dashboards-rollups-refresh"] = {
    "task": "dashboards.tasks.rollups_refresh_task",
    "schedule": ROLLUP_REFRESH_MINUTES * 60,
    # A refresh still queued when the next one is due is dropped rather than run late.
    "options": {"expires": ROLLUP_REFRESH_MINUTES * 60},
}

# Cache: Redis when configured, because allauth's rate limits need a cache that all
# gunicorn workers share. Otherwise a per-process memory cache is enough locally.
REDIS_URL = env("REDIS_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL and CELERY_BROKER_URL.startswith("redis") else None
)
# With Redis down or hung, signing in must still work: FallbackRedisCache answers from a
# per-process memory cache for a while (kos_portal/cache.py), and short socket timeouts
# bound the wait before it does.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kos_portal.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "kos"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Security headers. Production (DEBUG off) gets HTTPS-only cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # "__Host-": browsers accept these cookies only if Secure, from HTTPS, with Path=/ and no
    # Domain, so a sibling subdomain or a plain-HTTP page can't plant or shadow them
    # (issue #13). Only with secure cookies: a browser drops a __Host- cookie otherwise.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"  # no script reads it: forms carry the token
    # /healthz is probed by load balancers over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# django-ratelimit keys public forms by client IP. Behind a reverse proxy set this to the
# header the proxy writes (e.g. HTTP_X_REAL_IP), or every visitor shares the proxy's limit.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY")

# Ed25519 key that signs the certificates' JSON credentials (PKCS#8 PEM), from the
# environment or from a file (a mounted secret). Unset on a dev machine: certificates/keys.py
# derives a development key from the dev SECRET_KEY. Unset in production: the credential
# and key endpoints answer 503 and log why; the rest of the site works. See
# docs/verification.md.
CERTIFICATE_SIGNING_KEY = env("CERTIFICATE_SIGNING_KEY")
CERTIFICATE_SIGNING_KEY_FILE = env("CERTIFICATE_SIGNING_KEY_FILE")

# The 500 page must not depend on static files (a broken manifest would break it too), so
# its CSS is inline; the CSP allows exactly that <style> block by its hash.
ERROR_PAGE_STYLE_HASH = "'sha256-{}'".format(
    base64.b64encode(
        hashlib.sha256(
            re.search(
                r"<style>(.*?)</style>",
                (BASE_DIR / "templates" / "500.html").read_text(encoding="utf-8"),
                re.DOTALL,
            )[1].encode()
        ).digest()
    ).decode()
)

# Content-Security-Policy: only our own origin; scripts also need the per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", ERROR_PAGE_STYLE_HASH],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],  # no page needs <base>; an injected one can't redirect links
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Operability (docs/deployment.md): JSON logs, one line per event, with the request id or
# the Celery task id; the 500 page shows the request id; Sentry when SENTRY_DSN is set.
MIDDLEWARE.insert(0, "kos_portal.logs.RequestIdMiddleware")
LOG_FORMAT = env("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env("LOG_LEVEL", "INFO"))
# The worker logs through LOGGING too, so its lines are JSON and carry the task id.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
