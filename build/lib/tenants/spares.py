"""A small pool of ready template clones: provisioning becomes a schema rename plus fix-ups."""

import logging
import secrets
import threading

from django.conf import settings
from django.db import connection, transaction

from tenants.cloning import clone_template
from tenants.models import SpareSchema
from tenants.template import ensure_template_current, verify_matches_template

log = logging.getLogger(__name__)
_FILL_LOCK = 7_301_002  # advisory lock id: one pool filler at a time across processes


def claim_spare(schema: str, fingerprint: str) -> bool:
    """Inside the caller's transaction, rename a current spare to ``schema``; False if none."""
    spare = (
        SpareSchema.objects.select_for_update(skip_locked=True)
        .filter(fingerprint=fingerprint)
        .first()
    )
    if spare is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{spare.schema_name}" RENAME TO "{schema}"')
    spare.delete()
    return True


def create_spare(fingerprint: str) -> str:
    name = f"_spare_{secrets.token_hex(6)}"
    with transaction.atomic():
        clone_template(name)
        verify_matches_template(name)
        SpareSchema.objects.create(schema_name=name, fingerprint=fingerprint)
    return name


def drop_stale_spares(fingerprint: str) -> int:
    """Drop spares cloned from an older template (before a migration)."""
    dropped = 0
    for spare in SpareSchema.objects.exclude(fingerprint=fingerprint):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
            spare.delete()
        dropped += 1
    return dropped


def fill_pool(size: int | None = None) -> int:
    """Top the pool up to ``size`` spares; returns how many were made."""
    size = settings.TENANT_SPARE_POOL_SIZE if size is None else size
    connection.set_schema_to_public()
    fingerprint = ensure_template_current()
    drop_stale_spares(fingerprint)
    made = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_FILL_LOCK])
        if not cursor.fetchone()[0]:
            return 0  # another process is filling
    try:
        while SpareSchema.objects.filter(fingerprint=fingerprint).count() < size:
            create_spare(fingerprint)
            made += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_FILL_LOCK])
    return made


def refill_in_background() -> threading.Thread | None:
    """Refill the pool off the request path (a thread here; a Celery task later)."""
    if settings.TENANT_SPARE_POOL_SIZE <= 0:
        return None

    def run():
        try:
            fill_pool()
        except Exception:
            log.exception("Refilling the spare schema pool failed")
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="spare-pool-refill", daemon=True)
    thread.start()
    return thread
