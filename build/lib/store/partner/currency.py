"""The currency of this tenant's shop, for stock records and prices."""

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name


def tenant_currency() -> str:
    """The shop's currency in the current tenant schema (the deployment's default elsewhere).

    Used as the stock record's field default, so the dashboard's product form starts with it."""
    if connection.schema_name == get_public_schema_name():
        return settings.OSCAR_DEFAULT_CURRENCY
    from store.shop.models import ShopSettings  # the shop app's models, loaded after partner's

    return ShopSettings.current().currency
