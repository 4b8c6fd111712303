"""What every page's shell needs: who is signed in as what, and which tenant this is."""

from django.conf import settings

from core.permissions import is_operator, is_portal_customer, is_staff_member


def navigation(request):
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    on_tenant = tenant is not None and tenant.schema_name != settings.PUBLIC_SCHEMA_NAME
    return {
        "current_tenant": tenant if on_tenant else None,
        "user_is_staff_member": bool(user) and on_tenant and is_staff_member(user),
        "user_is_portal_customer": bool(user) and on_tenant and is_portal_customer(user),
        "user_is_operator": bool(user) and not on_tenant and is_operator(user),
    }
