"""One place that answers "staff or customer, which role": views, API and later features use it."""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django_tenants.utils import get_public_schema_name
from rest_framework.permissions import BasePermission

from core.roles import PORTAL_CUSTOMER, STAFF_ROLES, TENANT_ADMIN


def roles_of(user) -> frozenset:
    """The role codes of ``user``, read once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_role_codes", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_codes = cached
    return cached


def on_tenant_host() -> bool:
    return connection.schema_name != get_public_schema_name()


def is_staff_member(user) -> bool:
    """Back-office staff of the current tenant (never an operator on the public host)."""
    return on_tenant_host() and bool(roles_of(user) & STAFF_ROLES)


def is_portal_customer(user) -> bool:
    return on_tenant_host() and PORTAL_CUSTOMER in roles_of(user)


def has_role(user, *roles: str) -> bool:
    return on_tenant_host() and bool(roles_of(user) & set(roles))


def is_operator(user) -> bool:
    """A platform operator: a superuser of the public schema, on the public host."""
    return (
        not on_tenant_host()
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_superuser
    )


class _CheckMixin(AccessMixin):
    """Login first, then a 403 for a signed-in user of the wrong kind."""

    def allowed(self, user) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StaffRequiredMixin(_CheckMixin):
    login_url = "backoffice:login"

    def allowed(self, user):
        return is_staff_member(user)


class RoleRequiredMixin(StaffRequiredMixin):
    required_roles: tuple = ()

    def allowed(self, user):
        return has_role(user, *self.required_roles)


class CustomerRequiredMixin(_CheckMixin):
    login_url = "portal:login"

    def allowed(self, user):
        return is_portal_customer(user)


class MemberRequiredMixin(_CheckMixin):
    """Staff or portal customer of this tenant (pages both audiences share)."""

    def allowed(self, user):
        return is_staff_member(user) or is_portal_customer(user)

    def get_login_url(self):
        return "/portal/login/" if self.request.path.startswith("/portal/") else "/app/login/"


class OperatorRequiredMixin(_CheckMixin):
    login_url = "operator:login"

    def allowed(self, user):
        return is_operator(user)


class IsTenantStaff(BasePermission):
    message = "Staff access to this tenant is required."

    def has_permission(self, request, view):
        return is_staff_member(request.user)


class IsPortalCustomer(BasePermission):
    message = "A customer account of this tenant is required."

    def has_permission(self, request, view):
        return is_portal_customer(request.user)


class IsTenantMember(BasePermission):
    """Staff or portal customer of this tenant: what a person's own things need."""

    message = "A user of this tenant is required."

    def has_permission(self, request, view):
        return is_staff_member(request.user) or is_portal_customer(request.user)


class IsTenantAdmin(BasePermission):
    message = "The tenant admin role is required."

    def has_permission(self, request, view):
        return has_role(request.user, TENANT_ADMIN)


class IsOperator(BasePermission):
    message = "Operator access is required."

    def has_permission(self, request, view):
        return is_operator(request.user)
