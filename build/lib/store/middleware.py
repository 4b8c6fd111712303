"""Oscar's basket middleware, active on tenant hosts only."""

from oscar.apps.basket.middleware import BasketMiddleware

from core.tenancy import tenant_only

TenantBasketMiddleware = tenant_only(BasketMiddleware)
