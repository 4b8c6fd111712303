"""Who sees which invoices and who may change money on them."""

from core.permissions import has_role
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import visible, visible_filter

# Recording payments and refunds, and voiding, move money or cancel debt.
MONEY_ROLES = (TENANT_ADMIN, MANAGER)


def visible_invoices(queryset, user):
    """``queryset`` narrowed to the invoices of accounts ``user`` sees."""
    if visible_filter(user) is None:
        return queryset
    return queryset.filter(account__in=visible(Account.objects.all(), user).values("pk"))


def handles_money(user) -> bool:
    return has_role(user, *MONEY_ROLES)
