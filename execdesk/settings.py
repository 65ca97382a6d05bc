"""ExecDesk settings: everything comes from EXECDESK_* environment variables (see README).

No EXECDESK_DATABASE_URL / EXECDESK_REDIS_URL: embedded mode (SQLite, in-memory channel layer,
Celery on the memory broker inside the web process). Both set: distributed mode.
"""

from __future__ import annotations

import math
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from kombu import Queue

from execdesk.env import ConfigError, env, envbool, envfloat, envint, envsecret, public_url, redis_db_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env("EXECDESK_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DATABASE_URL = env("EXECDESK_DATABASE_URL")
REDIS_URL = env("EXECDESK_REDIS_URL")
if bool(DATABASE_URL) != bool(REDIS_URL):
    raise ConfigError("distributed mode needs both EXECDESK_DATABASE_URL and EXECDESK_REDIS_URL (or neither)")
EMBEDDED = DATABASE_URL is None
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

DEBUG = envbool("EXECDESK_DEBUG", False)


def _secret_key() -> str:
    key = envsecret("EXECDESK_SECRET_KEY")
    if key:
        return key
    if TESTING:
        return "execdesk-tests-only-" + secrets.token_urlsafe(16)
    if not EMBEDDED:
        raise ConfigError("distributed mode needs EXECDESK_SECRET_KEY (or EXECDESK_SECRET_KEY_FILE)")
    # Embedded mode keeps a generated key beside its database so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_key() -> bytes:
    """The HMAC key that signs the audit chain: from the environment, never the database (a database writer
    must not be able to re-sign a rewritten trail). Embedded mode keeps a generated one beside its database."""
    key = envsecret("EXECDESK_AUDIT_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("EXECDESK_AUDIT_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return key.encode()
    if TESTING:
        return b"execdesk-tests-only-audit-key-0123456789"
    if not EMBEDDED:
        raise ConfigError("distributed mode needs EXECDESK_AUDIT_KEY (or EXECDESK_AUDIT_KEY_FILE): the key that "
                          "signs the audit trail, the same for every process of the desk")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "audit_key"
    if not path.exists():
        _refuse_new_audit_key_for_old_trail(path)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


# Chain heads noted after each audit-writing commit, outside the database (see desk/audit/anchor.py)
AUDIT_ANCHOR_FILE = Path(env("EXECDESK_AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit_anchors.log"))).resolve()


def _refuse_new_audit_key_for_old_trail(path: Path) -> None:
    """A key is generated for a new data folder only: one that already holds a trail (its database, or
    anchors) was signed with the lost key, and a new one would flag every event as forged and sign on."""
    found = [p for p in (DATA_DIR / "execdesk.sqlite3", AUDIT_ANCHOR_FILE) if p.exists() and p.stat().st_size]
    if found:
        raise ConfigError(f"the audit key file {path} is missing, but {found[0]} holds an audit trail signed "
                          f"with it: restore {path} from your backup (or set EXECDESK_AUDIT_KEY or "
                          f"EXECDESK_AUDIT_KEY_FILE to that key). A new key is generated only for a new data folder.")


AUDIT_KEY = _audit_key()
AUDIT_ANCHOR_FSYNC_SECONDS = envfloat("EXECDESK_AUDIT_ANCHOR_FSYNC_SECONDS", 0.2)
ALLOWED_HOSTS = [h.strip() for h in env("EXECDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in (env("EXECDESK_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o]
PUBLIC_URL = public_url()  # links printed outside a request (manage.py execute)

INSTALLED_APPS = [
    "daphne",
    "execdesk.desk.admin_site.apps.DeskAdminConfig",  # the admin under the desk's roles, not `is_staff`
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",  # brute-force protection of the login (its own tables: manage.py migrate)
    "ninja",  # the API docs' Swagger UI from ninja's bundled static files (offline)
    "execdesk.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "execdesk.desk.web.middleware.BodySizeLimitMiddleware",  # a body too large is a 413 before anything reads it
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "execdesk.desk.web.middleware.NoStoreMiddleware",
    "execdesk.desk.web.middleware.SessionIdleMiddleware",
    "execdesk.desk.web.middleware.UnreadableRowMiddleware",  # an order the database cannot read: 409, not 500
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "execdesk.urls"
ASGI_APPLICATION = "execdesk.asgi.application"
WSGI_APPLICATION = None

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
                "execdesk.desk.web.context.desk_context",
            ],
        },
    },
]

DATABASES: dict[str, Any]
if DATABASE_URL is None:  # embedded
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "execdesk.sqlite3",
            # Web, worker and beat threads share the file: take the write lock at BEGIN so two
            # writers never deadlock upgrading a read lock, and wait for it rather than fail.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            # a file, not :memory:, so that tests with several threads share one database
            "TEST": {"NAME": str(DATA_DIR / "test_execdesk.sqlite3")},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after EXECDESK_LOGIN_FAILURE_LIMIT failed logins for one username from one
# address, that pair is refused (429, said on the login page) until EXECDESK_LOGIN_COOLOFF_SECONDS pass
# without another attempt. The attempts live in the database, so every web process shares them.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("EXECDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=envint("EXECDESK_LOGIN_COOLOFF_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "execdesk.desk.web.auth.login_locked_out"
AXES_VERBOSE = False
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() < 1:
    raise ConfigError("EXECDESK_LOGIN_FAILURE_LIMIT and EXECDESK_LOGIN_COOLOFF_SECONDS must be at least 1")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
import plotly  # noqa: E402  (only to locate its bundled plotly.min.js)

# plotly.js comes from the installed plotly package, served as /static/vendor/plotly.min.js: offline,
# always the version the Python side was tested with, and never committed to the repository.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", Path(plotly.__file__).parent / "package_data")]
WHITENOISE_USE_FINDERS = True  # serve from the app folders directly: no collectstatic needed
WHITENOISE_AUTOREFRESH = DEBUG  # with EXECDESK_DEBUG, edited static files are served at their new size
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise wants it to exist even when it is empty

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the page's JS reads it for fetch() POSTs
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Idle timeout: a session unused for EXECDESK_SESSION_IDLE_SECONDS ends (sliding: every request renews it, at
# most once a minute — execdesk.desk.web.middleware.SessionIdleMiddleware); its websockets close at their next check.
SESSION_IDLE_SECONDS = envint("EXECDESK_SESSION_IDLE_SECONDS", 30 * 60)
if SESSION_IDLE_SECONDS < 60:
    raise ConfigError(f"EXECDESK_SESSION_IDLE_SECONDS={SESSION_IDLE_SECONDS} must be at least 60")
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_COOKIE_SAMESITE = "Lax"

# Production behind TLS (EXECDESK_HTTPS=1): HTTPS only, secure cookies, HSTS. `manage.py check --deploy` is
# clean with it (tests/desk/test_http_hardening.py). EXECDESK_BEHIND_PROXY=1 trusts X-Forwarded-Proto from the
# TLS-terminating proxy in front of Daphne (only set it when that proxy overwrites the header).
HTTPS = envbool("EXECDESK_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("EXECDESK_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("EXECDESK_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("EXECDESK_HSTS_PRELOAD", False)
if envbool("EXECDESK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS preload is a commitment to the browsers' preload list for the whole domain: opt-in only
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): scripts only from our own static files (no inline script, no eval).
# style-src allows 'unsafe-inline' because plotly.js sets style attributes and injects <style> rules at run
# time (its modebar, hover labels, drag layers); styles cannot run code, scripts stay strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # plotly's modebar icons and the Swagger UI's are data: URIs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # fetch() and the dashboard's websocket (CSP 3: 'self' covers ws/wss)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}


CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL is None:  # embedded (both URLs or neither, checked above)
    CHANNEL_LAYERS = {"default": {"BACKEND": "execdesk.desk.embedded.layers.ThreadSafeInMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://localhost/"
    # kombu's memory transport sleeps `polling_interval` (1 s) whenever its queues are empty or every worker
    # thread is busy: a halt's cancels would wait seconds for it. 20 ms costs well under 1 % of a core idle.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"polling_interval": 0.02}
    CELERY_RESULT_BACKEND = "cache+memory://"
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_db_url(REDIS_URL, 2)], "capacity": 500, "expiry": 30},
        }
    }
    CELERY_BROKER_URL = redis_db_url(REDIS_URL, 0)
    CELERY_RESULT_BACKEND = redis_db_url(REDIS_URL, 1)
    # Chosen, not defaulted (docs/failure-model.md): a message a dead worker held comes back after
    # visibility_timeout (Redis' default is an hour). Recovery of sends does not wait for it — the outbox
    # sweeper re-drives a NEW child within a second or two, and a send's message expires at its send-by time —
    # so it only has to exceed the longest task run plus a retry's countdown (a shorter one would hand a
    # running task to a second worker). Sockets time out in 2 s so a publish during an outage fails fast.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": envint("EXECDESK_BROKER_VISIBILITY_TIMEOUT", 60),
        "socket_connect_timeout": 2, "socket_timeout": 2,
        "queue_order_strategy": "priority",  # see CELERY_TASK_QUEUES
    }

# Two queues (docs/failure-model.md, "Queues"): `priority` holds the work that must never wait behind the
# order steps — the tick, the outbox sweeper, reconciliation, and every send and cancel (a send that waited
# past its send-by time expires unsent) — and `celery` the steps. Every worker consumes both, `priority`
# first: Redis' BRPOP takes the first non-empty key in the order kombu gives it, and the `priority` cycle
# keeps that order (the default round-robin would rotate it). The memory broker (embedded) alternates
# between the two, so a send waits behind at most one step there. Claude's questions keep their own
# `advisor` queue and worker (docker-compose.yml).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("priority", routing_key="priority"), Queue("celery", routing_key="celery"))
CELERY_TASK_ROUTES = {name: {"queue": "priority"} for name in (
    "desk.tick", "desk.outbox_sweep", "desk.venue_reconcile",
    "desk.child_order_submit", "desk.child_order_cancel", "desk.venue_cancel_all",
)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Acked after the task ran (a worker that dies mid-task leaves its message to be redelivered) and
# requeued, not failed, when a prefork child is killed: every task is idempotent, so running twice is safe
# and never running is not. One message reserved per worker process: a dying worker strands at most one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A publish that cannot reach the broker gives up after ~1 s (two quick retries): the work is recorded in the
# database already and the sweeper re-drives it; the request that committed it answers normally.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# The desk
EXECDESK: dict[str, Any] = {
    "TICK_SECONDS": envfloat("EXECDESK_TICK_SECONDS", 1.0),
    "MARKET_SEED": envint("EXECDESK_MARKET_SEED", 7),
    # The symbol's impact fit (1,000 observations) is refitted when it is this old, or sooner once 50 new
    # observations came in; 0 refits on every use (services/strategy.py impact_fit).
    "IMPACT_FIT_REFRESH_SECONDS": envfloat("EXECDESK_IMPACT_FIT_REFRESH_SECONDS", 10.0),
    "DEFAULT_SYMBOL": env("EXECDESK_DEFAULT_SYMBOL", "BTCUSDT"),
    "PROPOSAL_TTL_SECONDS": envint("EXECDESK_PROPOSAL_TTL", 30),
    # Ownership (roles.may_act_on): a trader acts on their own orders only, unless the desk keeps a shared book
    "SHARED_BOOK": envbool("EXECDESK_SHARED_BOOK", False),
    # how often an open websocket re-checks its login (logout and user changes also close it at once)
    "WS_RECHECK_SECONDS": envfloat("EXECDESK_WS_RECHECK_SECONDS", 2.0),
    # Four-eyes: a proposal (or override) whose notional exceeds this needs a supervisor's approval (USDT)
    "FOUR_EYES_NOTIONAL": envfloat("EXECDESK_FOUR_EYES_NOTIONAL", 250_000.0),
    "DEFAULT_INTERVAL_SECONDS": envint("EXECDESK_DEFAULT_INTERVAL", 10),
    "MIN_INTERVAL_SECONDS": 5,
    # Autopilot (no human in the loop) may step as often as this; the risk gate's minimum gap between child
    # orders and orders-per-minute cap still apply (EXECDESK_MIN_ORDER_GAP, EXECDESK_MAX_ORDERS_PER_MINUTE).
    "MIN_AUTOPILOT_INTERVAL_SECONDS": envint("EXECDESK_MIN_AUTOPILOT_INTERVAL", 1),
    "MIN_ORDER_GAP_SECONDS": envfloat("EXECDESK_MIN_ORDER_GAP", 5.0),
    "MAX_ORDERS_PER_MINUTE": envint("EXECDESK_MAX_ORDERS_PER_MINUTE", 20),
    "EMBEDDED_WORKER_THREADS": envint("EXECDESK_WORKER_THREADS", 4),
    # Claude questions run off the step: an in-process thread pool (embedded) or the `advisor` Celery queue
    "ADVISOR_RUNNER": env("EXECDESK_ADVISOR_RUNNER", "threads" if EMBEDDED else "celery"),
    "ADVISOR_THREADS": envint("EXECDESK_ADVISOR_THREADS", 4),
    "LLM_DEFAULT_INTERVAL_SECONDS": envint("EXECDESK_LLM_DEFAULT_INTERVAL", 60),
    # Bybit (credentials and endpoints: execdesk.bybit.config reads EXECDESK_BYBIT_* itself)
    "BYBIT_CATEGORY": env("EXECDESK_BYBIT_CATEGORY", "linear"),
    "BYBIT_TIMEOUT_SECONDS": envfloat("EXECDESK_BYBIT_TIMEOUT", 10.0),
    "BYBIT_STALE_SECONDS": envfloat("EXECDESK_BYBIT_STALE_SECONDS", 10.0),
    # embedded mode runs the Bybit feeds in the web process; distributed mode runs `bybit_feed` processes
    "BYBIT_FEED_IN_PROCESS": envbool("EXECDESK_BYBIT_FEED_IN_PROCESS", EMBEDDED),
    "BYBIT_POLL_SECONDS": envfloat("EXECDESK_BYBIT_POLL_SECONDS", 3.0),
    "BYBIT_UNSENT_GRACE_SECONDS": envfloat("EXECDESK_BYBIT_UNSENT_GRACE", 30.0),
    "RECONCILE_SECONDS": envfloat("EXECDESK_RECONCILE_SECONDS", 60.0),
    # A child order not sent within this many seconds of its approval is never sent: it expires and the next
    # step re-plans at the current market (docs/failure-model.md).
    "SEND_BY_SECONDS": envfloat("EXECDESK_SEND_BY_SECONDS", 5.0),
    # How often beat runs the outbox sweeper, and how old an unsent child must be before it re-drives it.
    "OUTBOX_SWEEP_SECONDS": envfloat("EXECDESK_OUTBOX_SWEEP_SECONDS", 1.0),
    "OUTBOX_REDRIVE_AFTER_SECONDS": envfloat("EXECDESK_OUTBOX_REDRIVE_AFTER", 1.0),
}

# Desk-wide limits on parent orders, checked at creation by one service (execdesk.desk.services.order_limits)
# for the form, the API and the CLI alike; docs/supervision.md "Limits".
EXECDESK.update({
    "MAX_ORDER_NOTIONAL": envfloat("EXECDESK_MAX_ORDER_NOTIONAL", 2_000_000.0),  # quote currency per parent order
    "MAX_DAILY_VOLUME_SHARE": envfloat("EXECDESK_MAX_DAILY_VOLUME_SHARE", 0.05),  # of the symbol's last 24 h
    "PRICE_COLLAR_BPS": envfloat("EXECDESK_PRICE_COLLAR_BPS", 500.0),  # a typed limit price vs the mid
})


def _check_limits(desk: dict) -> None:
    """Limits that cannot all hold fail at start-up: four-eyes must sit below the hard caps, or it never fires."""
    from execdesk.domain.risk import RiskLimits

    names = {"FOUR_EYES_NOTIONAL": "EXECDESK_FOUR_EYES_NOTIONAL", "MAX_ORDER_NOTIONAL": "EXECDESK_MAX_ORDER_NOTIONAL",
             "MAX_DAILY_VOLUME_SHARE": "EXECDESK_MAX_DAILY_VOLUME_SHARE", "PRICE_COLLAR_BPS": "EXECDESK_PRICE_COLLAR_BPS"}
    for key, name in names.items():
        if not math.isfinite(desk[key]) or desk[key] <= 0:
            raise ConfigError(f"{name}={desk[key]} must be a positive number")
    if desk["MAX_DAILY_VOLUME_SHARE"] > 1:
        raise ConfigError(f"EXECDESK_MAX_DAILY_VOLUME_SHARE={desk['MAX_DAILY_VOLUME_SHARE']} is a fraction (0.05 is 5 %)")
    child_cap = RiskLimits().max_order_notional
    four_eyes = desk["FOUR_EYES_NOTIONAL"]
    if four_eyes >= child_cap or four_eyes >= desk["MAX_ORDER_NOTIONAL"]:
        raise ConfigError(f"EXECDESK_FOUR_EYES_NOTIONAL={four_eyes:,.0f} must be below the risk gate's per-child cap "
                          f"({child_cap:,.0f}) and EXECDESK_MAX_ORDER_NOTIONAL ({desk['MAX_ORDER_NOTIONAL']:,.0f}): "
                          "above them four-eyes never fires")


_check_limits(EXECDESK)
if EXECDESK["ADVISOR_RUNNER"] not in ("threads", "celery"):
    raise ConfigError(f"EXECDESK_ADVISOR_RUNNER must be 'threads' or 'celery', "
                      f"got {EXECDESK['ADVISOR_RUNNER']!r}")
if EXECDESK["BYBIT_CATEGORY"] not in ("linear", "spot"):
    raise ConfigError(f"EXECDESK_BYBIT_CATEGORY={EXECDESK['BYBIT_CATEGORY']!r} must be linear or spot")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"expected_refusals": {"()": "execdesk.desk.web.refusal_log.ExpectedRefusalFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("EXECDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        # the embedded worker shares the web process's console; a worker process logs its tasks
        "celery": {"level": env("EXECDESK_CELERY_LOG_LEVEL", "WARNING" if EMBEDDED else "INFO")},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # every login is in the audit trail already; lockouts still log
        "django.channels.server": {"level": "WARNING"},
        # a permission refusal is one WARNING line (who, what, why), not a traceback
        "django.request": {"filters": ["expected_refusals"]},
    },
}
