"""Settings of the whole deployment, read from the environment with safe development defaults."""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-secret-key-change-me-in-production")
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
PUBLIC_PORT = env.int("PORT", default=8000)
# The scheme and port used to build links to tenant hosts (e-mails, redirects after sign-up).
SITE_SCHEME = env("SITE_SCHEME", default="http")
SITE_PORT_SUFFIX = env("SITE_PORT_SUFFIX", default=f":{PUBLIC_PORT}" if DEBUG else "")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "testserver", "127.0.0.1"]
)

# --- Apps: public schema (operator) and tenant schemas (everything a company owns) ---
SHARED_APPS = [
    "tenants",  # before django_tenants so its migrate_schemas keeps the template current
    "django_tenants",
    "core",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.sites",  # login views read the current site on the operator host too
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
]

OSCAR_APPS = [
    "django.contrib.sites",
    "django.contrib.flatpages",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "store.checkout.apps.CheckoutConfig",  # forked: pays with Stripe
    "oscar.apps.address.apps.AddressConfig",
    "store.shipping.apps.ShippingConfig",  # forked: the tenant's own shipping methods
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "store.partner.apps.PartnerConfig",  # forked: per-tenant currency, tax, price lists
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "store.offer.apps.OfferConfig",  # forked: segment offers for CRM customers
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "store.search.apps.SearchConfig",  # forked: Chinese and English product search
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
]

WAGTAIL_APPS = [
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
]

TENANT_APPS = [
    "core",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "rest_framework.authtoken",
    "realtime",
    "crm_apps.backoffice",
    "crm_apps.customers",
    "crm_apps.customization",
    "crm_apps.activities",
    "crm_apps.sales",
    "crm_apps.forecast",
    "crm_apps.contracts",
    "crm_apps.quotes",
    "crm_apps.commissions",
    "crm_apps.service",
    "crm_apps.payments",
    "crm_apps.billing",
    "crm_apps.segments",
    "crm_apps.purchases",
    "cms",
    "portal",
    "store.shop",  # before Oscar: its templates override Oscar's (offers, recommendations)
    "store.recommendations",
    *OSCAR_APPS,
    *WAGTAIL_APPS,
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Every tenant is cloned from this schema (or from a spare copy of it); see tenants/template.py.
TENANT_TEMPLATE_SCHEMA = "_template"
TENANT_SPARE_POOL_SIZE = env.int("TENANT_SPARE_POOL_SIZE", default=2)
# Each app's provisioning hooks: seed the template once, then fix up each new tenant.
TENANT_PROVISIONING_HOOKS = ["core.provisioning", "cms.provisioning", "store.provisioning"]
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",  # first: every response, even a redirect, has it
    "core.observability.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before tenancy, so a page it answers itself (unknown host, suspended) is framed safely too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.observability.internal.InternalEndpointsMiddleware",  # probes: any Host, plain HTTP
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.tenancy.CachedTenantMiddleware",
    "core.zones.TenantTimeZoneMiddleware",  # times in the tenant's zone (needs request.tenant)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.login_language.LoginLanguageMiddleware",  # the saved language from sign-in on
    "core.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "store.shop.dashboard_access.ShopDashboardAccessMiddleware",
    "store.middleware.TenantBasketMiddleware",
    "cms.middleware.TenantRedirectMiddleware",
]

ROOT_URLCONF = "core.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "core.urls_public"
ASGI_APPLICATION = "core.asgi.application"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "store.context_processors.search_form",
                "store.context_processors.checkout",
                "store.context_processors.notifications",
                "oscar.core.context_processors.metadata",
                "store.shop.context_processors.shop_theme",
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database: DATABASE_URL, or an embedded PostgreSQL in .data/ for a fresh machine ---
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # A unix-socket directory arrives percent-encoded in the URL's host part.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
else:
    from core.embedded import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(DATA_DIR / "postgres")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Under ASGI every request runs in a fresh context and would open a new connection; the pool
# hands back a warm one. django-tenants re-issues SET search_path on each new wrapper, so a
# pooled connection never carries one tenant's schema into another's request. The ASGI entry
# point switches it on; management commands (forked migration workers) run without it.
if env.bool("DB_POOL", default=False):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=20),
        "timeout": 10,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and channel layer when REDIS_URL is set, in-process otherwise ---
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="crm"),
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        },
        "tenancy": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="crm"),
        },
    }
    # Pub/sub: one PUBLISH per group and no per-process queue to overflow (the list-based
    # layer drops pushes beyond its capacity under a burst). Pushes are hints: a socket that
    # misses one catches up from the API, so at-most-once delivery is what is needed.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CACHE_KEY_PREFIX", default="crm")},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Tenant-scoped keys: Wagtail caches site root paths under one global key otherwise.
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        },
        "tenancy": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Users, sessions, authentication ---
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Tests set a fast hasher through the environment so that servers they start agree with them.
if env("PASSWORD_HASHERS", default=""):
    PASSWORD_HASHERS = env.list("PASSWORD_HASHERS")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home-redirect"
# Host-only cookies: a session or CSRF token issued on acme is never sent to globex.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[f"http://*.{BASE_DOMAIN}:{PUBLIC_PORT}", f"http://{BASE_DOMAIN}:{PUBLIC_PORT}"],
)

# --- Languages: English and Simplified Chinese, complete on every screen ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "core" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(DATA_DIR / "static"))
_NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (prefix, _NODE_MODULES / path)
    for prefix, path in [
        ("vendor/bootstrap", "bootstrap/dist"),
        ("vendor/bootstrap-icons", "bootstrap-icons/font"),
        ("vendor/htmx", "htmx.org/dist"),
    ]
    if (_NODE_MODULES / path).is_dir()
]
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(DATA_DIR / "media"))
# Uploaded files land under MEDIA_ROOT/<schema>/..., so tenants never share a path.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    # TenantFileSystemStorage, plus Oscar's shared placeholder image (store/shop/storage.py).
    "default": {"BACKEND": "store.shop.storage.TenantMediaStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
TENANT_EXPORT_DIR = Path(env("TENANT_EXPORT_DIR", default=str(DATA_DIR / "exports")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Ticket attachments: per file, and all the files of one message together.
TICKET_ATTACHMENT_MAX_BYTES = env.int("TICKET_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_MESSAGE_ATTACHMENTS_MAX_BYTES = env.int("TICKET_MESSAGE_ATTACHMENTS_MAX_BYTES",
                                               default=25 * 1024 * 1024)

# --- E-mail: console by default; SMTP (or any backend) from the environment ---
EMAIL_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"no-reply@{BASE_DOMAIN}")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# For the file-based backend (mail written as files, e.g. in browser tests of a live server).
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))

# --- Background jobs: Celery on Redis, tenant context carried by tenant-schemas-celery ---
# Without Redis (the one-command development default) tasks run eagerly in the caller.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL) or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for another worker
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = "crm"
# Task modules not named tasks.py, which autodiscovery would miss.
CELERY_IMPORTS = ("crm_apps.service.sla_tasks",)
# One Redis may serve several deployments (or test runs): every broker and result key is
# prefixed like the cache's keys.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": env("CACHE_KEY_PREFIX", default="crm") + ":",
    "visibility_timeout": 3600,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "global_keyprefix": env("CACHE_KEY_PREFIX", default="crm") + ":",
}
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_BEAT_SCHEDULER = "core.beat.ActiveTenantScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Periodic jobs. An entry without "tenant_schemas" fans out to every active tenant.
CELERY_BEAT_SCHEDULE = {
    "purge-read-notifications": {
        "task": "realtime.tasks.purge_read_notifications",
        "schedule": 24 * 3600,
    },
    "expire-finished-jobs": {
        "task": "realtime.tasks.expire_finished_jobs",
        "schedule": 24 * 3600,
    },
    "empty-customer-bin": {
        "task": "crm_apps.customers.tasks.empty_bin",
        "schedule": 24 * 3600,
    },
    "clear-abandoned-import-uploads": {
        "task": "crm_apps.customers.tasks.clear_abandoned_uploads",
        "schedule": 3600,
    },
    "rescore-leads": {
        "task": "crm_apps.sales.lead_tasks.rescore_leads",
        "schedule": 6 * 3600,
    },
    # Nightly: cheap to train (a few thousand leads take about a second), and the open leads'
    # predicted scores follow the activities logged during the day.
    "retrain-lead-model": {
        "task": "crm_apps.sales.prediction_tasks.retrain_lead_model",
        "schedule": 24 * 3600,
    },
    "send-activity-reminders": {
        "task": "crm_apps.activities.tasks.send_due_reminders",
        "schedule": 60,
    },
    "take-forecast-snapshots": {
        "task": "crm_apps.forecast.tasks.take_forecast_snapshots",
        "schedule": 7 * 24 * 3600,
    },
    "reassign-territories": {
        "task": "crm_apps.forecast.tasks.reassign_territories",
        "schedule": 24 * 3600,
    },
    "run-contract-renewals": {
        "task": "crm_apps.contracts.tasks.run_renewals",
        "schedule": 3600,
    },
    # Monthly: the previous period's drafts get their final numbers. 12:00 UTC on the 1st is
    # already the 1st (or the 2nd) in every tenant's time zone.
    "refresh-commission-statements": {
        "task": "crm_apps.commissions.tasks.refresh_statements",
        "schedule": crontab(minute=0, hour=12, day_of_month=1),
    },
    "expire-quotes": {
        "task": "crm_apps.quotes.tasks.expire_quotes",
        "schedule": 24 * 3600,
    },
    # Hourly, so a period is invoiced on its first day in every tenant's time zone; each
    # period once (a unique constraint on contract and period start).
    "bill-contract-periods": {
        "task": "crm_apps.billing.tasks.bill_contract_periods",
        "schedule": 3600,
    },
    # Marks invoices past due, then sends each reminder step (1, 7, 30 days) once.
    "run-overdue-invoices": {
        "task": "crm_apps.billing.tasks.run_overdue",
        "schedule": 3600,
    },
    # Hourly: a run takes seconds even for 50,000 orders, so the day's sales shape the shop's
    # recommendations within the hour.
    "recompute-shop-recommendations": {
        "task": "store.recommendations.tasks.recompute_recommendations",
        "schedule": 3600,
    },
    # Hourly: rules on dates ("ordered within 30 days") move with the clock; events refresh
    # the contacts they concern in between.
    "recompute-segments": {
        "task": "crm_apps.segments.tasks.recompute_segments",
        "schedule": 3600,
    },
    "warn-before-sla-breach": {
        "task": "crm_apps.service.sla_tasks.warn_before_breach",
        "schedule": 5 * 60,
    },
    "escalate-sla-breaches": {
        "task": "crm_apps.service.sla_tasks.escalate_breaches",
        "schedule": 5 * 60,
    },
}

# --- API ---
REST_FRAMEWORK = {
    # Token first, so a bad or foreign token is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.PersonalTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsTenantStaff"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "The tenant API: every call is scoped to the tenant of the host it is sent to.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shared by two components (a list and a detail serializer) get a name here.
    "ENUM_NAME_OVERRIDES": {
        "CommissionStatementStatusEnum": "crm_apps.commissions.models.CommissionStatement.Status",
        "TicketStatusEnum": "crm_apps.service.models.Ticket.Status",
        "TicketPriorityEnum": "crm_apps.service.models.Ticket.Priority",
        "TicketKindEnum": "crm_apps.service.models.Ticket.Kind",
        "ActivityKindEnum": "crm_apps.activities.models.Activity.Kind",
        "CustomerTierEnum": "crm_apps.customers.models.Account.Tier",
    },
}

# --- Stripe (per-tenant keys come later; these are the platform's) ---
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")

# --- Oscar and Wagtail ---
from oscar.defaults import *  # noqa: E402, F403

OSCAR_SHOP_NAME = "Shop"
OSCAR_DYNAMIC_CLASS_LOADER = "store.class_loading.cached_class_loader"
# Guests check out with an e-mail address; their orders are linked to CRM contacts by it
# (crm_apps/purchases/linking.py). Signed-in shoppers check out with their portal login.
OSCAR_ALLOW_ANON_CHECKOUT = True
# A guest may give the e-mail of an existing login: the order then waits for that account
# holder to claim it (crm_apps/purchases/claims.py), and the gateway page does not tell
# strangers which addresses have accounts.
OSCAR_ALLOW_GUEST_CHECKOUT_WITH_ACCOUNT = True
OSCAR_DEFAULT_CURRENCY = env("OSCAR_DEFAULT_CURRENCY", default="USD")
# One order life cycle for store orders and orders from accepted quotes (the portal shows it).
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Cancelled"),
    # Store orders wait for Stripe's webhook (store/checkout/stripe_orders.py); a late payment
    # of a failed one still moves it on.
    "Pending payment": ("Being processed", "Payment failed", "Cancelled"),
    "Payment failed": ("Being processed", "Cancelled"),
    "Being processed": ("Shipped", "Cancelled"),
    "Shipped": ("Complete",),
    "Complete": (),
    "Cancelled": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
OSCAR_ORDER_STATUS_CASCADE = {"Being processed": "Being processed", "Shipped": "Shipped",
                              "Complete": "Complete", "Cancelled": "Cancelled"}
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
# Oscar leaves shipping methods out of its dashboard menu (its default repository ignores them);
# each tenant's checkout offers the ones its staff set up (store/shipping/repository.py).
OSCAR_DASHBOARD_NAVIGATION[2]["children"].append(  # noqa: F405 - from oscar.defaults
    {"label": _("Shipping methods"), "url_name": "dashboard:shipping-method-list"})
# The segment offers and their vouchers (store/offer/dashboard.py) under Offers.
for _menu in OSCAR_DASHBOARD_NAVIGATION:  # noqa: F405 - from oscar.defaults
    if _menu.get("icon") == "fas fa-bullhorn":
        _menu["children"].append({
            "label": _("Segment offers"), "url_name": "segment-offers:list",
            "access_fn": import_string("store.offer.nav.may_manage_segment_offers")})
SITE_ID = 1
WAGTAIL_SITE_NAME = "CRM"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default=f"http://{BASE_DOMAIN}:{PUBLIC_PORT}")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

# --- Operator sign-up protection ---
SIGNUP_RATE_LIMIT = env.int("SIGNUP_RATE_LIMIT", default=5)  # sign-ups per address per hour

# LOG_FORMAT=json (production): one JSON object per line with tenant and request id; the
# default stays plain text for development. Every record carries ``tenant`` and ``request_id``.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.observability.logs.LogContextFilter"}},
    "formatters": {
        "json": {"()": "core.observability.logs.json_formatter"},
        "text": {"format": "%(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    # One line per request (core/observability/metrics.py), in JSON mode only by default.
    "loggers": {"core.access": {"level": env(
        "ACCESS_LOG_LEVEL", default="INFO" if LOG_FORMAT == "json" else "WARNING")}},
}
# In JSON mode Celery workers keep this configuration (tenant on every task's lines) instead of
# installing their own console format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# /metrics answers on any Host. With a token, scrapers must send "Authorization: Bearer
# <token>"; without one, only requests that did not come through a proxy (no X-Forwarded-For:
# Prometheus scraping the pod directly) get the figures, which name tenants.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
