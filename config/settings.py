"""Tutela settings: one module, every value read from the environment (see `.env.example`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TUTELA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("TUTELA_DEBUG", False)
SECRET_KEY = env_secret(
    "TUTELA_SECRET_KEY", debug=DEBUG, debug_default="insecure-debug-only-key-" + "x" * 40
)
ALLOWED_HOSTS = env_list("TUTELA_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("TUTELA_CSRF_TRUSTED_ORIGINS", [])
# The public address of the portal, used in emails sent outside a request (reminders, campaigns).
TUTELA_BASE_URL = env_str("TUTELA_BASE_URL", "http://127.0.0.1:8000")
# The policy file this deployment runs; validated at start-up by a system check.
TUTELA_POLICY_FILE = Path(env_str("TUTELA_POLICY_FILE", str(BASE_DIR / "policy" / "c-mes.yaml")))
# The processor (a key of the policy file) that hosts the database: every catalogued category
# reaches it, so the drift check holds its declared categories to the catalog (R26, R33).
TUTELA_HOSTING_PROCESSOR = env_str("TUTELA_HOSTING_PROCESSOR", "webhosting_uk")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Background tasks: Django's Tasks API (backport) and its database backend (see TASKS below).
    "django_tasks",
    "django_tasks_db",
    "tutela.core",
    "tutela.crypto",
    "tutela.audit",
    "tutela.policy",
    "tutela.accounts",
    "tutela.customers",
    "tutela.visits",
    "tutela.feedback",
    "tutela.commerce",
    "tutela.support",
    "tutela.correspondence",
    "tutela.consent",
    "tutela.campaigns",
    "tutela.rights",
    "tutela.staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tutela.core.middleware.RequestIdMiddleware",
    # Counts every request into the security log of visits, including those refused further in.
    "tutela.visits.middleware.VisitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside CSPMiddleware: widens the CSP for the tag groups the visitor allowed, and drops any
    # cookie a view sets in a group they did not allow (PECR reg. 6, tutela/consent/cookies.py).
    "tutela.consent.middleware.CookieConsentMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Turns django-ratelimit's Ratelimited into settings.RATELIMIT_VIEW (429), not a 403.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tutela" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tutela.core.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite by default (the embedded setup); PostgreSQL with DATABASE_URL=postgres://user@host/db.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tutela.sqlite3'}"),
        conn_max_age=env_int("TUTELA_DB_CONN_MAX_AGE", 0, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot create the folder its file lives in; a fresh clone has no var/ yet.
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the in-process worker and web requests share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Every request is one transaction: a failure part-way (or a database that goes away) leaves
# nothing half-written, e.g. a user row without its customer profile at sign-up.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits live here) -------------------------------------------------------------
_cache_url = env_str("CACHE_URL", "locmem://")
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"CACHE_URL={_cache_url!r}: expected locmem:// or redis://host:port/db"
    )

# --- Accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The sign-in email is encrypted (no unique constraint possible on ciphertext); its blind index
# `email_bidx` is unique, which is what this warning asks for.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
# allauth's backend (a ModelBackend, so permissions work as usual) signs in by email; Django's
# own ModelBackend is left out because it would only repeat the same look-up.
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id first (R3: Django's defaults are t=2, m=100 MiB, p=8, above the OWASP minimum).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B: a length floor and a deny-list, no composition rules, long passphrases allowed.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "customers:account"

ACCOUNT_ADAPTER = "tutela.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_SIGNUP_FORM_CLASS = "tutela.customers.forms.SignupDetailsForm"
ACCOUNT_FORMS = {"signup": "tutela.customers.signup.CustomerSignupForm"}
# Verification is mandatory, but Tutela does it (tutela/accounts/emails.py, enforced in the
# adapter's pre_login): allauth's own verification keeps a plaintext copy of the address.
ACCOUNT_EMAIL_VERIFICATION = "none"
# allauth's default reset token generator copies the address into its EmailAddress table;
# Django's own one binds the token to the address (and password, last sign-in) just the same.
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "django.contrib.auth.tokens.PasswordResetTokenGenerator"  # noqa: S105
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_USER_DISPLAY = "tutela.accounts.models.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[C-MES] "
# R4: per IP and per account; allauth keeps the counters in the cache above.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "C-MES Solutions (Tutela)"
# Passkeys need a secure origin; the embedded default serves plain http on 127.0.0.1.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Field encryption and key store (issue 3, tutela.crypto) ----------------------------------
# Master keys and the blind-index key come from a key provider (a dotted path, ready for a KMS);
# the default keeps them in a local file, created on first run with mode 0600. Back it up apart
# from the database (docs/operations.md, Backups).
TUTELA_KEY_PROVIDER = env_str("TUTELA_KEY_PROVIDER", "tutela.crypto.providers.LocalFileKeyProvider")
TUTELA_KEY_FILE = Path(env_str("TUTELA_KEY_FILE", str(VAR_DIR / "keys" / "master-keys.json")))
# Unwrapped data keys are cached per process: up to this many, each for this many seconds, which
# is also the longest a shred in one process takes to reach the others.
TUTELA_DATA_KEY_CACHE_SIZE = env_int("TUTELA_DATA_KEY_CACHE_SIZE", 4096, minimum=0)
TUTELA_DATA_KEY_CACHE_SECONDS = env_int("TUTELA_DATA_KEY_CACHE_SECONDS", 60, minimum=0)
# The key store (wrapped data keys) in its own database, so that backups of the main database
# contain no keys. Unset: the key store lives in the main database.
_keystore_url = env_str("TUTELA_KEYSTORE_DATABASE_URL", "")
TUTELA_KEYSTORE_DATABASE = "keystore" if _keystore_url else "default"
if _keystore_url:
    # No ATOMIC_REQUESTS here: a data key commits on its own, before the data it encrypts.
    DATABASES["keystore"] = dj_database_url.parse(
        _keystore_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True
    )
    if DATABASES["keystore"]["ENGINE"] == "django.db.backends.sqlite3":
        if DATABASES["keystore"]["NAME"] not in ("", ":memory:"):
            Path(DATABASES["keystore"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # secure_delete: a shredded key's bytes are overwritten in the file, not just unlinked.
        DATABASES["keystore"].setdefault("OPTIONS", {}).update(
            {"timeout": 20, "init_command": "PRAGMA secure_delete=ON; PRAGMA journal_mode=WAL;"}
        )
DATABASE_ROUTERS = ["tutela.crypto.routers.KeyStoreRouter"]

# --- Access log (issue 3, tutela.audit) -------------------------------------------------------
# Ed25519 key that signs access-log checkpoints: created with mode 0600 by the first
# `manage.py audit_seal`; start-up is refused if others can read it. Keep it out of DB backups.
TUTELA_AUDIT_SIGNING_KEY_FILE = Path(
    env_str("TUTELA_AUDIT_SIGNING_KEY_FILE", str(VAR_DIR / "audit-signing-key.pem"))
)
# The log's name in signed checkpoints (the first line, as in C2SP tlog checkpoints).
TUTELA_AUDIT_ORIGIN = env_str(
    "TUTELA_AUDIT_ORIGIN", TUTELA_BASE_URL.split("://", 1)[-1].split("/", 1)[0] + "/access-log"
)

# --- Background tasks and periodic jobs (tutela/core/schedule.py) ------------------------------
# Django's Tasks API (the django-tasks backport). The backend is a dotted path: by default the
# database backend, whose tasks `manage.py tutela_worker` runs (bin/serve starts one beside the
# web server). Another backend (a Redis-backed one, for scale) runs tasks with its own workers;
# tutela_worker then only enqueues the periodic jobs. Task arguments, return values and the
# tracebacks of failures are stored in plain text: Tutela's tasks take ids, never personal data.
TASKS = {"default": {"BACKEND": env_str("TUTELA_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
# How often the access log is sealed (a signed checkpoint), in minutes.
TUTELA_AUDIT_SEAL_MINUTES = env_int("TUTELA_AUDIT_SEAL_MINUTES", 5, minimum=1)
# Finished task results (arguments, return values, tracebacks) are deleted after this many days.
TUTELA_TASK_RESULTS_DAYS = env_int("TUTELA_TASK_RESULTS_DAYS", 14, minimum=1)
# Management commands run as periodic jobs, for apps that do not declare their jobs in a jobs.py
# of their own: {command: {"every": timedelta} or {"daily_at": time}}, daily times in TIME_ZONE.
TUTELA_SCHEDULED_COMMANDS: dict[str, dict[str, Any]] = {}

# --- Payments (issue 4, tutela.commerce) -------------------------------------------------------
# The card processor: a dotted path to a tutela.commerce.providers.base.PaymentProvider subclass.
# The default fake provider moves no money and accepts only its test cards (docs/security.md).
TUTELA_PAYMENT_PROVIDER = env_str(
    "TUTELA_PAYMENT_PROVIDER", "tutela.commerce.providers.fake.FakeProvider"
)

# --- Applications (issue 4, tutela.support) ---------------------------------------------------
# Attachments are kept encrypted in the database, so crypto-shredding reaches them: the largest
# file accepted, in bytes, and how many one message may carry. The reverse proxy's request-size
# limit must allow that many files of that size, plus the form.
TUTELA_ATTACHMENT_MAX_BYTES = env_int("TUTELA_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
TUTELA_ATTACHMENTS_PER_MESSAGE = env_int("TUTELA_ATTACHMENTS_PER_MESSAGE", 3, minimum=0)

# --- Erasure (issue 5, tutela.rights.services.erasure) -----------------------------------------
# A verified erasure request from the Privacy Centre waits for a privacy officer to carry it out
# (with a preview); on, it is carried out at once by a background job.
TUTELA_ERASURE_AUTOMATIC = env_bool("TUTELA_ERASURE_AUTOMATIC", False)
# The suppression list's entry point, as a dotted path ("" for none): the rights app may not
# import the consent app, so configuration names it.
TUTELA_ERASURE_SUPPRESS = env_str("TUTELA_ERASURE_SUPPRESS", "tutela.consent.api.email_suppress")
# Webhooks that tell processors of an erasure, as JSON: {"<processor key>": {"url": "https://...",
# "secret": "<at least 16 characters>"}}, from TUTELA_PROCESSOR_WEBHOOKS or the file named by
# TUTELA_PROCESSOR_WEBHOOKS_FILE (it holds secrets). A processor without one gets a task that the
# privacy officer does by hand. Optional, so never an error when absent.
_webhooks = env_secret("TUTELA_PROCESSOR_WEBHOOKS", debug=True, debug_default="{}") or "{}"
try:
    TUTELA_PROCESSOR_WEBHOOKS: dict[str, dict[str, str]] = json.loads(_webhooks)
except ValueError as exc:
    raise ImproperlyConfigured(f"TUTELA_PROCESSOR_WEBHOOKS is not valid JSON ({exc})") from None
TUTELA_PROCESSOR_WEBHOOK_TIMEOUT = env_int("TUTELA_PROCESSOR_WEBHOOK_TIMEOUT", 10, minimum=1)

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # implicit TLS (port 465); not with USE_TLS
# Seconds before a silent mail server counts as failed; without it a background send could
# wait forever on one connection.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "C-MES Solutions <feedback@c-mes.co.uk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Campaigns (issue 6, tutela.campaigns) ------------------------------------------------------
# Sent through EMAIL_BACKEND above, from this address, in batches of this many recipients (each
# batch: one claim, one access-log batch, one mail-server connection).
TUTELA_CAMPAIGN_FROM_EMAIL = env_str("TUTELA_CAMPAIGN_FROM_EMAIL", DEFAULT_FROM_EMAIL)
TUTELA_CAMPAIGN_BATCH_SIZE = env_int("TUTELA_CAMPAIGN_BATCH_SIZE", 200, minimum=1)
# The processor (a key of the policy file) whose mail server sends campaigns: a system check
# refuses to start unless the policy declares it for marketing_email and contact_email (R26).
TUTELA_CAMPAIGN_EMAIL_PROCESSOR = env_str("TUTELA_CAMPAIGN_EMAIL_PROCESSOR", "webhosting_uk")
# A send with no progress for this long is resumed by the campaigns_resume job; recipients it
# had claimed and not recorded are then marked failed, never sent twice (sending.py).
TUTELA_CAMPAIGN_STALL_MINUTES = env_int("TUTELA_CAMPAIGN_STALL_MINUTES", 15, minimum=1)

# --- Security headers and cookies (R4, R6, R39) -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("TUTELA_SESSION_AGE", 60 * 60 * 12, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("TUTELA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("TUTELA_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env_bool("TUTELA_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Only the proxy in front of Tutela may say who the client is (security log IPs, R2).
TUTELA_TRUSTED_PROXY_COUNT = env_int("TUTELA_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Visits and form rate limits (issue 4, tutela.visits) --------------------------------------
# Each web process counts visits in memory and writes them to the security log this often, in
# seconds; a process killed without warning loses at most that much (tutela/visits/recorder.py).
TUTELA_VISITS_FLUSH_SECONDS = env_int("TUTELA_VISITS_FLUSH_SECONDS", 30, minimum=0)
# Forms are rate-limited with django-ratelimit's decorator (tutela/visits/ratelimit.py), counted
# in the default cache above by the address client_ip trusts, and answered with a 429 page.
# Not in INSTALLED_APPS: it has no models, and its system check calls the local-memory cache of
# the embedded default an error (right for several processes, not for the one it serves).
RATELIMIT_IP_META_KEY = "tutela.visits.ratelimit.rate_limit_ip"
RATELIMIT_VIEW = "tutela.visits.views.rate_limited"

# No inline script anywhere; htmx and allauth's passkey code load from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Cookie consent (issue 6, tutela.consent) ---------------------------------------------------
# Google's tags load only for visitors who allowed their cookie group, and only when an id is
# set: no id, no tag. The script URLs are settings so tests can point them at a local stub.
TUTELA_ANALYTICS_ID = env_str("TUTELA_ANALYTICS_ID", "")  # Google Analytics 4, "G-..."
TUTELA_ANALYTICS_SCRIPT_URL = env_str(
    "TUTELA_ANALYTICS_SCRIPT_URL", "https://www.googletagmanager.com/gtag/js"
)
TUTELA_ADVERTISING_ID = env_str("TUTELA_ADVERTISING_ID", "")  # Google Ads remarketing, "AW-..."
TUTELA_ADVERTISING_SCRIPT_URL = env_str(
    "TUTELA_ADVERTISING_SCRIPT_URL", "https://www.googletagmanager.com/gtag/js"
)
# Hosts the CSP allows, besides the script's own origin, once the group is allowed (Google's
# CSP guide for gtag.js); never sent to a visitor who has not allowed the group.
TUTELA_ANALYTICS_CSP_HOSTS = env_list(
    "TUTELA_ANALYTICS_CSP_HOSTS",
    [
        "https://*.googletagmanager.com",
        "https://*.google-analytics.com",
        "https://*.analytics.google.com",
    ],
)
TUTELA_ADVERTISING_CSP_HOSTS = env_list(
    "TUTELA_ADVERTISING_CSP_HOSTS",
    [
        "https://*.googletagmanager.com",
        "https://www.googleadservices.com",
        "https://googleads.g.doubleclick.net",
        "https://td.doubleclick.net",
        "https://www.google.com",
    ],
)

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Hashed, compressed names need `collectstatic` first; production turns them on.
_static_manifest = env_bool("TUTELA_STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _static_manifest
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if _static_manifest:
    # WhiteNoise serves the collected files in production; runserver and the test live server
    # serve static files themselves.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TUTELA_LOG_LEVEL", "INFO")},
}
