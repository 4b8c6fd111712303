"""Wagtail's redirect middleware, active on tenant hosts only."""

from wagtail.contrib.redirects.middleware import RedirectMiddleware

from core.tenancy import tenant_only

TenantRedirectMiddleware = tenant_only(RedirectMiddleware)
