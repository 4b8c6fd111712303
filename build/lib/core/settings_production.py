"""Production settings: the project's settings hardened for HTTPS behind a TLS-ending proxy."""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before core.settings is imported: without DATABASE_URL it would start an embedded
# PostgreSQL, and without SECRET_KEY it would fall back to the published development key.
_SECRET_KEY_MIN_LENGTH = 50
_DEVELOPMENT_KEY_MARKERS = ("dev-only", "insecure", "change-me")


def _required_environment(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Production settings need {name} in the environment.")
    return value


_secret_key = _required_environment("SECRET_KEY")
if len(_secret_key) < _SECRET_KEY_MIN_LENGTH or any(
    marker in _secret_key.lower() for marker in _DEVELOPMENT_KEY_MARKERS
):
    raise ImproperlyConfigured(
        f"SECRET_KEY must be a random value of at least {_SECRET_KEY_MIN_LENGTH} characters, "
        "not the development default."
    )
_required_environment("DATABASE_URL")
if _required_environment("BASE_DOMAIN") in {"localhost", "127.0.0.1"}:
    raise ImproperlyConfigured("BASE_DOMAIN must be the public domain the tenants live under.")

# One JSON object per log line, with tenant and request id, unless the operator says otherwise.
os.environ.setdefault("LOG_FORMAT", "json")

from core.settings import *  # noqa: E402, F403
from core.settings import BASE_DOMAIN, DATA_DIR, STORAGES, env  # noqa: E402

DEBUG = False
SECRET_KEY = _secret_key
# Only the platform's hosts: tenants live on subdomains of BASE_DOMAIN.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])

# Values core.settings derived from its own DEBUG default, set again for DEBUG off.
SITE_SCHEME = "https"
SITE_PORT_SUFFIX = env("SITE_PORT_SUFFIX", default="")
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default=f"https://{BASE_DOMAIN}")
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = env("STATIC_ROOT", default=str(DATA_DIR / "static"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# drf-spectacular's deploy check builds a schema of every URL, Wagtail's admin API included; the
# served schema covers only core.api_urls (core/urls_tenant.py), which that check cannot scope to.
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "ENABLE_DJANGO_DEPLOY_CHECK": False}  # noqa: F405
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(DATA_DIR / "celerybeat-schedule")
)

# --- HTTPS only: TLS ends at the proxy, which says so in X-Forwarded-Proto ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# Probes and scrapes call the pod over plain HTTP; they must get an answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # every tenant is a subdomain
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Wagtail's preview panel frames the page itself with its own SAMEORIGIN override.
X_FRAME_OPTIONS = "DENY"

# --- Cookies: secure and host-only, so acme's session never reaches globex ---
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
# Browsers accept a __Host- cookie only when it is Secure, has Path=/ and no Domain.
SESSION_COOKIE_NAME = "__Host-sessionid"
# The CSRF cookie keeps its name and stays readable: board.js and live.js send it back.
CSRF_TRUSTED_ORIGINS = [
    f"https://{BASE_DOMAIN}",
    f"https://*.{BASE_DOMAIN}",
    *env.list("CSRF_EXTRA_TRUSTED_ORIGINS", default=[]),
]

# --- Content security policy (django-csp) ---
# Scripts load only from our own origin (vendor files are served from node_modules through
# static files, never a CDN). 'unsafe-inline' stays for scripts because Oscar's storefront and
# dashboard and Wagtail's admin panels ship inline <script> blocks, and some of our templates
# use inline event handlers (onchange="this.form.submit()"), none of which a nonce can cover;
# adding a nonce would make browsers ignore 'unsafe-inline' and break them. Styles need it for
# style="" attributes and the indicator styles htmx inserts.
INSTALLED_APPS = [*INSTALLED_APPS, "csp"]  # noqa: F405
# Beside the other header middleware, before tenancy: its own pages (unknown host, suspended
# workspace) carry the policy too.
_CSP_AT = MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE[:_CSP_AT], "csp.middleware.CSPMiddleware", *MIDDLEWARE[_CSP_AT:]]  # noqa: F405
_CSP_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF, "'unsafe-inline'"],
        "style-src": [_CSP_SELF, "'unsafe-inline'"],
        # Bootstrap draws form controls with data: SVGs; tenants' images are served by us.
        "img-src": [_CSP_SELF, "data:", "blob:"],
        "font-src": [_CSP_SELF, "data:"],
        # Live updates: the websocket on the same host (explicit for browsers before CSP 3).
        "connect-src": [_CSP_SELF, f"wss://{BASE_DOMAIN}", f"wss://*.{BASE_DOMAIN}"],
        # Wagtail embeds (videos) in CMS pages come from their providers over HTTPS.
        "frame-src": [_CSP_SELF, "https:"],
        "frame-ancestors": [_CSP_SELF],
        "object-src": ["'none'"],
        "base-uri": [_CSP_SELF],
        # Checkout and invoice payment post to us, then redirect to Stripe's hosted page.
        "form-action": [
            _CSP_SELF,
            "https://checkout.stripe.com",
            *env.list("CSP_EXTRA_FORM_ACTION", default=[]),
        ],
    },
}
