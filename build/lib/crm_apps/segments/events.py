"""Events that move contacts in or out of segments: each queues a refresh of just the
contacts concerned, sent once the change is committed (never for a rolled-back change)."""

from functools import partial

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context


def _run_in(schema: str, func) -> None:
    if connection.schema_name == schema:
        func()
        return
    with schema_context(schema):
        func()


def on_commit_in_this_tenant(func) -> None:
    """``func`` after the commit, in the tenant current now: code that wrote a tenant's rows
    inside ``tenant_context`` may leave it before its transaction commits."""
    schema = connection.schema_name
    if schema == get_public_schema_name():
        return  # no tenant, so no contacts and no segments
    # Robust: the change is committed; a broker away must not turn it into an error page.
    transaction.on_commit(partial(_run_in, schema, func), robust=True)


def _send(contact_ids: list[int], force_bump: bool) -> None:
    from crm_apps.segments.tasks import refresh_contacts

    refresh_contacts.delay(contact_ids, force_bump=force_bump)


def queue_refresh(contact_ids, *, force_bump: bool = False) -> None:
    """Refresh these contacts' figures and memberships after the commit. ``force_bump`` tells
    the shop to forget cached answers even if no membership changes (a login relinked)."""
    ids = sorted({int(pk) for pk in contact_ids if pk})
    if ids:
        on_commit_in_this_tenant(partial(_send, ids, force_bump))
