"""A bench-only tenancy middleware whose host caches never answer: every request is cold."""

from core.tenancy import CachedTenantMiddleware, forget_hosts


class ColdCacheTenantMiddleware(CachedTenantMiddleware):
    """The project's middleware, made to forget the host before each lookup.

    ``forget_hosts`` is the project's own invalidation, so this drops every cache layer it
    keeps (per-process and shared) and each request pays the Domain query.
    """

    def get_tenant(self, domain_model, hostname):
        forget_hosts(hostname)
        return super().get_tenant(domain_model, hostname)
