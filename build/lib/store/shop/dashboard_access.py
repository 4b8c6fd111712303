"""Who may open the shop's dashboard (/shop/dashboard/) on a tenant host.

Every staff role is ``is_staff`` (core/accounts.py), which is all Oscar's dashboard checks; the
shop's catalogue, prices and orders belong to the tenant's admins and managers, so the other
staff roles are refused here. Portal customers are not staff, so Oscar already refuses them;
a session is one tenant's (its schema's session table, a host-only cookie), so another
tenant's host never sees it."""

from django.core.exceptions import PermissionDenied

from core.permissions import has_role, on_tenant_host
from core.roles import MANAGER, TENANT_ADMIN

DASHBOARD_ROLES = (TENANT_ADMIN, MANAGER)
DASHBOARD_PREFIX = "/shop/dashboard/"
# Oscar's dashboard sign-in page must stay open to everyone.
OPEN_PATHS = ("/shop/dashboard/login/",)


def may_use_shop_dashboard(user) -> bool:
    return has_role(user, *DASHBOARD_ROLES)


class ShopDashboardAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (path.startswith(DASHBOARD_PREFIX) and not path.startswith(OPEN_PATHS)
                and on_tenant_host() and request.user.is_authenticated
                and not may_use_shop_dashboard(request.user)):
            # Signed-out visitors go on to Oscar, which sends them to sign in.
            raise PermissionDenied
        return self.get_response(request)
