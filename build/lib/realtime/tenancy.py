"""Tenant context for websockets, which django-tenants does not cover.

``database_sync_to_async`` runs every consumer's database call on one shared thread (and its
one connection), whichever socket or tenant it comes from. A schema set once at connect time
is therefore whatever the last call on that thread set. :func:`in_tenant` sets the schema
inside each call, so nothing depends on what ran before on the thread.
"""

from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone

from core.zones import zone_of


async def in_tenant(tenant, func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` on the database thread with ``tenant``'s schema set."""

    def call():
        connection.set_tenant(tenant)
        try:
            # Anything written for people here reads times in the tenant's zone.
            with timezone.override(zone_of(tenant)):
                return func(*args, **kwargs)
        finally:
            connection.set_schema_to_public()

    return await database_sync_to_async(call)()


async def in_public(func, *args, **kwargs):
    def call():
        connection.set_schema_to_public()
        return func(*args, **kwargs)

    return await database_sync_to_async(call)()
