"""All CloudHospital settings, read from the environment (see deploy/env.example).

The embedded default (no environment at all) is SQLite under DATA_DIR and the
in-memory channel layer; DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
PRODUCTION=true refuses unsafe defaults.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from cloudhospital.env import database_from_url, envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = envbool("PRODUCTION", False)
# Off unless asked for (`DEBUG=true make run`): the debug page lists every route and setting.
DEBUG = envbool("DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused in production
SECRET_KEY = envstr("SECRET_KEY", _DEV_SECRET)
# Old signing keys still accepted while sessions signed with them live (docs/security.md).
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "django_tasks_db",
    "cloudhospital.security",
    "cloudhospital.core",
    "clinics",
    "clinics.consultations",
    "clinics.followups",
    "clinics.referrals",
    "clinics.prescriptions",
    "imaging",
    "signaling",
]

MIDDLEWARE = [
    "cloudhospital.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cloudhospital.core.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cloudhospital.core.middleware.HostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cloudhospital.core.sessions.StaffSessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cloudhospital.urls"
ASGI_APPLICATION = "cloudhospital.asgi.application"

FORM_RENDERER = "cloudhospital.core.forms.ProjectFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cloudhospital" / "templates"],
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

DATABASE_URL = envstr("DATABASE_URL", "")
DATABASES = {"default": database_from_url(DATABASE_URL, DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub, not the core layer: signaling is fire-and-forget relaying between
            # live sockets, and the core layer's per-channel lists measured ~50x slower for
            # call set-up bursts across processes (docs/signaling.md, docs/benchmarks.md).
            "BACKEND": envstr("CHANNEL_LAYER_BACKEND",
                              "channels_redis.pubsub.RedisPubSubChannelLayer"),
            # redis-py 8 gives up on a read after 5 s by default, exactly how long
            # channels_redis blocks on an idle channel: an idle socket would die with 1011.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                       "capacity": 1000, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "ch"}}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": envstr("CHANNEL_LAYER_BACKEND",
                              "cloudhospital.core.layer.FastInMemoryChannelLayer"),
            "CONFIG": {"capacity": 1000, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "reminders", "recordings"],
    }
}

# Chronic-disease follow-up (clinics/followups/rules.py reads these). Intervals follow the
# grassroots practice: stable every 3 months, out of target every 2 weeks until controlled.
FOLLOWUP_STABLE_INTERVAL_DAYS = envint("FOLLOWUP_STABLE_INTERVAL_DAYS", 90)
FOLLOWUP_UNCONTROLLED_INTERVAL_DAYS = envint("FOLLOWUP_UNCONTROLLED_INTERVAL_DAYS", 14)
FOLLOWUP_SYSTOLIC_LIMIT = envint("FOLLOWUP_SYSTOLIC_LIMIT", 140)  # mmHg, out of target at >=
FOLLOWUP_DIASTOLIC_LIMIT = envint("FOLLOWUP_DIASTOLIC_LIMIT", 90)
FOLLOWUP_GLUCOSE_LIMIT = envstr("FOLLOWUP_GLUCOSE_LIMIT", "7.0")  # fasting, mmol/L
FOLLOWUP_BOOKING_CUTOFF_MINUTES = envint("FOLLOWUP_BOOKING_CUTOFF_MINUTES", 10)
FOLLOWUP_CHANGE_CUTOFF_MINUTES = envint("FOLLOWUP_CHANGE_CUTOFF_MINUTES", 120)
FOLLOWUP_CHECKIN_OPEN_MINUTES = envint("FOLLOWUP_CHECKIN_OPEN_MINUTES", 30)
FOLLOWUP_NO_SHOW_MINUTES = envint("FOLLOWUP_NO_SHOW_MINUTES", 15)
FOLLOWUP_REMINDER_HOURS = [int(h) for h in envlist("FOLLOWUP_REMINDER_HOURS", "24,1")]
FOLLOWUP_SLOT_DAYS_AHEAD = envint("FOLLOWUP_SLOT_DAYS_AHEAD", 14)
FOLLOWUP_SCAN_SECONDS = envint("FOLLOWUP_SCAN_SECONDS", 300)
FOLLOWUP_JOB_MAX_ATTEMPTS = envint("FOLLOWUP_JOB_MAX_ATTEMPTS", 5)
FOLLOWUP_JOB_BACKOFF_SECONDS = envint("FOLLOWUP_JOB_BACKOFF_SECONDS", 30)
FOLLOWUP_JOB_LEASE_SECONDS = envint("FOLLOWUP_JOB_LEASE_SECONDS", 900)
FOLLOWUP_SMS_BACKEND = envstr("FOLLOWUP_SMS_BACKEND", "clinics.followups.notify.LocalSmsBackend")
# Where people reach the platform: links in SMS and the verify URL printed on reports.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# Two-way referral: an urgent upward referral (green channel, 绿色通道) unanswered this
# many hours is escalated to the receiving institution's coordinator (clinics/referrals).
REFERRAL_URGENT_ANSWER_HOURS = envint("REFERRAL_URGENT_ANSWER_HOURS", 2)
# Online prescription renewal (clinics/prescriptions/rules.py cites where each comes from).
PRESCRIPTION_MAX_DAYS = envint("PRESCRIPTION_MAX_DAYS", 28)
PRESCRIPTION_LONG_TERM_MAX_DAYS = envint("PRESCRIPTION_LONG_TERM_MAX_DAYS", 84)
PRESCRIPTION_MAX_ITEMS = envint("PRESCRIPTION_MAX_ITEMS", 5)
PRESCRIPTION_GUARDIAN_AGE = envint("PRESCRIPTION_GUARDIAN_AGE", 6)
PRESCRIPTION_VISIT_WINDOW_HOURS = envint("PRESCRIPTION_VISIT_WINDOW_HOURS", 24)
PRESCRIPTION_REFILL_REMINDER_DAYS = envint("PRESCRIPTION_REFILL_REMINDER_DAYS", 3)
# Where the QR code on a printed prescription points when no request gives the host.
PRESCRIPTION_PUBLIC_URL = envstr("PRESCRIPTION_PUBLIC_URL", "http://127.0.0.1:8000")

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW_SECONDS", 900)

# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: IP addresses or networks
# (CIDR). Empty (`make run`): nobody's; the client address is the TCP peer. In the deploy
# topology, the nginx address (docs/security.md, "Trusted proxies").
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "")
if TRUSTED_PROXIES:
    # Only reaches Django from a trusted proxy: TrustedProxyMiddleware drops it otherwise.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "clinics" / "followups" / "locale",
                BASE_DIR / "clinics" / "referrals" / "locale",
                BASE_DIR / "clinics" / "prescriptions" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"  # what people see; storage is UTC (USE_TZ)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "cloudhospital" / "static"]
# daphne serves /static/ itself unless nginx does (the production topology turns this off).
SERVE_STATIC = envbool("SERVE_STATIC", not PRODUCTION)

# Headers, cookies and sessions (docs/security.md). Cookies are Secure in production
# (HTTPS behind nginx; the scheme comes from X-Forwarded-Proto of a TRUSTED_PROXIES peer).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True  # pages read the token from the form field, never the cookie
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTP Strict Transport Security: a year in production (nginx sends the same), off for the
# plain-HTTP `make run`. 0 turns it off.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
# No inline script, style or event handler anywhere: page scripts and styles are static
# files of each app (DICOMweb images are blob:/data: URLs, the room's video streams).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Staff sessions (doctors, coordinators, admins) end after this long without a request,
# and this long after login whatever happens (cloudhospital/core/sessions.py).
STAFF_SESSION_IDLE_SECONDS = envint("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = envint("STAFF_SESSION_MAX_SECONDS", 12 * 3600)

# Encryption at rest: ENCRYPTION_KEYS is "id:base64key,id2:base64key" (32-byte AES keys),
# ENCRYPTION_ACTIVE_KEY names the key new data is written with; older keys stay to read
# until `manage.py rotate_keys` has re-encrypted everything. LOOKUP_HASH_KEY keys the
# HMAC used to find a patient by national ID without decrypting. In development the
# keys are generated once into DATA_DIR/secrets.json (never in the repository).
ENCRYPTION_KEYS = envstr("ENCRYPTION_KEYS", "")
ENCRYPTION_ACTIVE_KEY = envstr("ENCRYPTION_ACTIVE_KEY", "")
LOOKUP_HASH_KEY = envstr("LOOKUP_HASH_KEY", "")

# Consultation records are kept at least this long (national remote-medicine rules).
RETENTION_YEARS = envint("RETENTION_YEARS", 15)
# Clinical dates a person gives (a consultation's schedule and proposed times, a follow-up
# schedule exception) lie between now and this many days ahead (422 otherwise).
CONSULTATION_SCHEDULE_HORIZON_DAYS = envint("CONSULTATION_SCHEDULE_HORIZON_DAYS", 365)
FOLLOWUP_SCHEDULE_HORIZON_DAYS = envint("FOLLOWUP_SCHEDULE_HORIZON_DAYS", 365)
API_TOKEN_PREFIX = "chk_"  # noqa: S105 - a prefix, not a secret
SIGNALING_TICKET_SECONDS = envint("SIGNALING_TICKET_SECONDS", 60)
# Presence in a live room is a lease the socket renews (docs/signaling.md, "Presence"): a
# peer whose process died without a goodbye (kill -9) leaves the others' rooms within
# about SIGNALING_LEASE_SECONDS. Renewal must come well within the lease.
SIGNALING_LEASE_SECONDS = envint("SIGNALING_LEASE_SECONDS", 20)
SIGNALING_LEASE_RENEW_SECONDS = envint("SIGNALING_LEASE_RENEW_SECONDS", 10)
if not 0 < SIGNALING_LEASE_RENEW_SECONDS < SIGNALING_LEASE_SECONDS:
    raise ImproperlyConfigured("SIGNALING_LEASE_RENEW_SECONDS must be positive and shorter "
                               "than SIGNALING_LEASE_SECONDS")

# ICE servers handed to peers: none by default, so a hospital LAN and the tests need no
# outside server. STUN_URLS/TURN_URLS are comma-separated; TURN_SECRET is coturn's
# static-auth-secret (TURN REST API credentials).
STUN_URLS = envlist("STUN_URLS", "")
TURN_URLS = envlist("TURN_URLS", "")
TURN_SECRET = envstr("TURN_SECRET", "")
TURN_CREDENTIAL_SECONDS = envint("TURN_CREDENTIAL_SECONDS", 3600)
# The consented recorder (signaling/recorder.py) gathers ICE only on 127.0.0.1 when true:
# for single-host set-ups and the tests, never when peers are on other machines.
RECORDER_LOOPBACK_ONLY = envbool("RECORDER_LOOPBACK_ONLY", False)

DICOM_AE_TITLE = envstr("DICOM_AE_TITLE", "CLOUDHOSPITAL")
DICOM_PORT = envint("DICOM_PORT", 11112)
DICOM_BIND = envstr("DICOM_BIND", "127.0.0.1")
IMAGE_STORE_DIR = Path(envstr("IMAGE_STORE_DIR", str(DATA_DIR / "images")))
STUDY_SHARE_GRACE_HOURS = envint("STUDY_SHARE_GRACE_HOURS", 72)
# A folder upload is one file per slice; STOW-RS bodies carry whole series.
DATA_UPLOAD_MAX_NUMBER_FILES = envint("DATA_UPLOAD_MAX_NUMBER_FILES", 5000)
# daphne queues a whole request body in memory before the application sees it, so the
# body limits stay within the memory budget (clients split larger series across requests).
DICOMWEB_MAX_STOW_BYTES = envint("DICOMWEB_MAX_STOW_BYTES", 256 * 1024**2)
# Every HTTP body is measured before it is read (cloudhospital/core/bodies.py): forms and
# JSON up to HTTP_BODY_MAX_BYTES, multipart file uploads on pages up to
# HTTP_UPLOAD_MAX_BYTES, /dicomweb/ up to DICOMWEB_MAX_STOW_BYTES; over it, 413.
HTTP_BODY_MAX_BYTES = envint("HTTP_BODY_MAX_BYTES", 2 * 1024**2)
HTTP_UPLOAD_MAX_BYTES = envint("HTTP_UPLOAD_MAX_BYTES", 2 * 1024**3)
# Django's own check when a body is parsed, kept in step with the budget above.
DATA_UPLOAD_MAX_MEMORY_SIZE = HTTP_BODY_MAX_BYTES
# Budgets checked before the work they would cost (docs/security.md, "Limits"). The one
# memory budget: decoded pixel bytes of an instance (rows x columns x samples x bits/8 x
# frames), also the most a Deflated data set may inflate to and the most one render or
# frames answer may decode.
IMAGING_MAX_DECODED_BYTES = envint("IMAGING_MAX_DECODED_BYTES", 256 * 1024**2)
# One encoded instance (a zip member, an upload file, a STOW part, a C-STORE data set).
IMAGING_MAX_INSTANCE_BYTES = envint("IMAGING_MAX_INSTANCE_BYTES", 128 * 1024**2)
# One upload request: its body; the inflated bytes of all its files and zip members (read
# one member at a time, so this bounds time and disk, not memory); its zip members.
IMAGING_MAX_UPLOAD_BYTES = envint("IMAGING_MAX_UPLOAD_BYTES", 256 * 1024**2)
IMAGING_MAX_UPLOAD_INFLATED_BYTES = envint("IMAGING_MAX_UPLOAD_INFLATED_BYTES", 2 * 1024**3)
IMAGING_MAX_UPLOAD_MEMBERS = envint("IMAGING_MAX_UPLOAD_MEMBERS", 10000)
# Parts of one STOW-RS body, and quarantine rows one request (STOW or upload) may create.
DICOMWEB_MAX_STOW_PARTS = envint("DICOMWEB_MAX_STOW_PARTS", 5000)
IMAGING_MAX_QUARANTINE_PER_REQUEST = envint("IMAGING_MAX_QUARANTINE_PER_REQUEST", 100)
# Frames one WADO-RS /frames request may name (after de-duplication), and the largest
# side of a rendered image (viewport and output).
DICOMWEB_MAX_FRAMES_PER_REQUEST = envint("DICOMWEB_MAX_FRAMES_PER_REQUEST", 1000)
IMAGING_MAX_RENDER_SIZE = envint("IMAGING_MAX_RENDER_SIZE", 4096)
# The DICOM listener's Maximum Length Received (PS3.8 D.1): advertised at association and
# enforced on every PDU, before association too (a longer PDU is refused unread).
DICOM_MAX_PDU_BYTES = envint("DICOM_MAX_PDU_BYTES", 1024**2)
if DICOM_MAX_PDU_BYTES < 4096:  # 0 would mean "no limit" to pynetdicom
    raise ImproperlyConfigured("DICOM_MAX_PDU_BYTES must be at least 4096")
for _budget in ("IMAGING_MAX_DECODED_BYTES", "IMAGING_MAX_INSTANCE_BYTES",
                "IMAGING_MAX_UPLOAD_BYTES", "IMAGING_MAX_UPLOAD_INFLATED_BYTES",
                "IMAGING_MAX_UPLOAD_MEMBERS", "DICOMWEB_MAX_STOW_BYTES",
                "DICOMWEB_MAX_STOW_PARTS", "DICOMWEB_MAX_FRAMES_PER_REQUEST",
                "IMAGING_MAX_RENDER_SIZE"):
    if globals()[_budget] < 1:
        raise ImproperlyConfigured(f"{_budget} must be a positive number")
# Heavy imaging work (QIDO, WADO, rendering, STOW, uploads, downloads) runs on this many
# threads per process (imaging/offload.py), each with at most one database connection.
# IMAGING_OFFLOAD=false is for the unit tests only.
IMAGING_WORKER_THREADS = envint("IMAGING_WORKER_THREADS", 4)
IMAGING_OFFLOAD = envbool("IMAGING_OFFLOAD", True)
# Test-only: a folder where the QIDO search announces itself and waits to be released, so a
# test can hold one request open by events instead of by timing. Empty in every deployment.
IMAGING_TEST_GATE_DIR = envstr("IMAGING_TEST_GATE_DIR", "")
# Patient names and IDs in the imaging index are encrypted: a QIDO wildcard is decided on
# decrypted values, for at most this many candidate studies (else 400, "narrow it").
QIDO_DECRYPT_SCAN_MAX = envint("QIDO_DECRYPT_SCAN_MAX", 2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}


def _refuse_unsafe_production() -> None:
    """Production must not start with development defaults (a known key, DEBUG, no keys)."""
    problems = []
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        problems.append("SECRET_KEY is the development default or shorter than 32 characters")
    if DEBUG:
        problems.append("DEBUG is on")
    if not ENCRYPTION_KEYS or not ENCRYPTION_ACTIVE_KEY:
        problems.append("ENCRYPTION_KEYS / ENCRYPTION_ACTIVE_KEY are missing")
    if not LOOKUP_HASH_KEY:
        problems.append("LOOKUP_HASH_KEY is missing")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))


if PRODUCTION:
    _refuse_unsafe_production()
