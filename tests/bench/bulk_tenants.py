"""Many bench tenants quickly: the template restored under new names as spares, then provisioned.

Cloning the template with the SQL clone function costs 1.6 to 3 s per tenant here, which makes a
1,000-tenant fleet take most of an hour. Restoring one `pg_dump` of the template under each new
schema name costs about 1.3 s of server time and runs on every core at once; the restored
schemas are registered as spares, so each tenant is then made by the real `provision_tenant`,
which only renames a spare and runs the per-tenant set-up. pg_dump keeps the template's
constraint and sequence names, which the clone function has to mend afterwards.
Import after django.setup().
"""

import os
import re
import secrets
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import connection

from tenants.lifecycle import client_arguments, pg_dump_binary
from tenants.models import SpareSchema, Tenant
from tenants.provisioning import provision_tenant
from tenants.template import TEMPLATE_SCHEMA, ensure_template_current

TEMPLATE_NAME = re.compile(r"(?<![A-Za-z0-9_])_template(?![A-Za-z0-9_])")
# Schemas restored per psql session: large enough to amortise the session, small enough that
# the work spreads evenly over the workers.
BATCH_SIZE = 10
RESTORE_TIMEOUT = 3600


@dataclass(frozen=True)
class BulkProvisioning:
    tenants: int
    restore_seconds: float
    provision_seconds: float
    workers: int


def client_binaries() -> tuple[str, str]:
    """pg_dump as tenant exports find it (the embedded server's own, or the machine's), and
    the psql beside it."""
    dump = pg_dump_binary()
    return dump, str(Path(dump).with_name("psql")) if Path(dump).is_absolute() else "psql"


def can_restore() -> bool:
    """Both programs are there (Debian's postgresql-client, or the embedded server's)."""
    return all(shutil.which(binary) for binary in client_binaries())


def dump_template() -> str:
    """The template schema as SQL (tables, rows, sequences, constraints), owner-neutral."""
    arguments, env = client_arguments()
    return subprocess.run(  # noqa: S603
        [client_binaries()[0], *arguments, f"--schema={TEMPLATE_SCHEMA}", "--no-owner",
         "--no-privileges"], env=env, capture_output=True, text=True, check=True).stdout


def renamed(dump: str, schema: str) -> str:
    """The dump with every reference to the template schema pointing at ``schema`` instead
    (whole identifiers only: columns such as ``email_body_template`` stay as they are)."""
    return TEMPLATE_NAME.sub(schema, dump)


def restore_batch(dump: str, schemas: list[str]) -> None:
    script = ["SET synchronous_commit = off;"]  # the bench's own database: speed over safety
    for schema in schemas:
        script += ["BEGIN;", renamed(dump, schema), "COMMIT;"]
    arguments, env = client_arguments()
    subprocess.run([client_binaries()[1], "--quiet", "--no-psqlrc", "-v",  # noqa: S603
                    "ON_ERROR_STOP=1", *arguments], input="\n".join(script), env=env,
                   capture_output=True, text=True, check=True, timeout=RESTORE_TIMEOUT)


def restore_spares(count: int, workers: int) -> list[str]:
    """Restore ``count`` copies of the template as spare schemas and register them."""
    connection.set_schema_to_public()
    fingerprint = ensure_template_current()
    dump = dump_template()
    names = [f"_spare_{secrets.token_hex(6)}" for _ in range(count)]
    batches = [names[start:start + BATCH_SIZE] for start in range(0, count, BATCH_SIZE)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda batch: restore_batch(dump, batch), batches))
    SpareSchema.objects.bulk_create(
        [SpareSchema(schema_name=name, fingerprint=fingerprint) for name in names])
    return names


def provision_many(count: int, prefix: str, workers: int | None = None) -> BulkProvisioning:
    """Add ``count`` tenants named ``<prefix>-NNNN`` (numbers not yet taken) to the fleet."""
    workers = workers or max(1, os.cpu_count() or 1)
    started = time.perf_counter()
    restoring = can_restore()  # without PostgreSQL's client programs, clone each tenant
    if restoring:
        restore_spares(count, workers)
    restored = time.perf_counter()
    connection.set_schema_to_public()
    taken = set(Tenant.objects.filter(slug__startswith=prefix).values_list("slug", flat=True))
    password_hash = make_password(secrets.token_urlsafe(16))  # hashed once, not per tenant
    made, number = 0, 0
    while made < count:
        number += 1
        slug = f"{prefix}-{number:04d}"
        if slug in taken:
            continue
        result = provision_tenant(slug=slug, name=f"Bench {slug}",
                                  owner_email=f"owner@{slug}.example",
                                  admin_password_hash=password_hash, use_spare=restoring,
                                  refill=False)
        if restoring and not result.from_spare:
            raise RuntimeError(f"{slug} was cloned, not made from a restored spare")
        made += 1
    connection.set_schema_to_public()
    return BulkProvisioning(count, restored - started, time.perf_counter() - restored, workers)
