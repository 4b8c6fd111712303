"""Reads of the tenant fleet reused by the console and the API."""

from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from core.roles import STAFF_ROLES
from tenants.models import Tenant


def fleet() -> QuerySet:
    return (Tenant.objects.exclude(schema_name=get_public_schema_name())
            .select_related("plan").prefetch_related("domains").order_by("-created"))


def staff_counts(tenants) -> dict:
    """Active staff users per tenant, in one query across schemas."""
    live = [t for t in tenants if t.status != Tenant.Status.DELETED]
    if not live:
        return {}
    placeholders = []
    params = []
    for tenant in live:
        placeholders.append(
            # Schema names come from validated slugs, never from request input.
            f"SELECT %s AS schema, count(DISTINCT u.id) FROM \"{tenant.schema_name}\".core_user u "  # noqa: S608
            f"JOIN \"{tenant.schema_name}\".core_user_groups ug ON ug.user_id = u.id "
            f"JOIN \"{tenant.schema_name}\".auth_group g ON g.id = ug.group_id "
            "WHERE u.is_active AND g.name = ANY(%s)"
        )
        params += [tenant.schema_name, list(STAFF_ROLES)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(placeholders), params)
        return dict(cursor.fetchall())
