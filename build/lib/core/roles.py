"""The roles every tenant starts with, and what each may do."""

from django.utils.translation import gettext_lazy as _

TENANT_ADMIN = "tenant_admin"
MANAGER = "manager"
SALES_REP = "sales_rep"
SERVICE_AGENT = "service_agent"
MARKETER = "marketer"
PORTAL_CUSTOMER = "portal_customer"

ROLE_LABELS = {
    TENANT_ADMIN: _("Tenant admin"),
    MANAGER: _("Manager"),
    SALES_REP: _("Sales rep"),
    SERVICE_AGENT: _("Service agent"),
    MARKETER: _("Marketer"),
    PORTAL_CUSTOMER: _("Portal customer"),
}

STAFF_ROLES = frozenset({TENANT_ADMIN, MANAGER, SALES_REP, SERVICE_AGENT, MARKETER})
ALL_ROLES = tuple(ROLE_LABELS)

# Model permissions per role, as "app_label.codename"; "*" means every permission.
# Feature apps extend these through their own data migrations as they add models.
ROLE_PERMISSIONS = {
    TENANT_ADMIN: ["*"],
    MANAGER: ["wagtailadmin.access_admin", "core.view_user"],
    SALES_REP: [],
    SERVICE_AGENT: [],
    MARKETER: ["wagtailadmin.access_admin"],
    PORTAL_CUSTOMER: [],
}


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code)
