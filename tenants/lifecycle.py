"""Operator actions on a live tenant: suspend, resume, export (pg_dump) and delete."""

import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import Tenant, TenantExport


class ExportFailed(RuntimeError):
    pass


def _set_status(tenant: Tenant, status: str) -> Tenant:
    tenant.status = status
    tenant.status_changed = timezone.now()
    tenant.save(update_fields=["status", "status_changed"])
    return tenant


def suspend_tenant(tenant: Tenant, *, acting_user=None) -> Tenant:
    if tenant.status != Tenant.Status.ACTIVE:
        raise ValidationError(_("Only an active tenant can be suspended."))
    return _set_status(tenant, Tenant.Status.SUSPENDED)


def resume_tenant(tenant: Tenant, *, acting_user=None) -> Tenant:
    if tenant.status != Tenant.Status.SUSPENDED:
        raise ValidationError(_("Only a suspended tenant can be resumed."))
    return _set_status(tenant, Tenant.Status.ACTIVE)


def pg_dump_binary() -> str:
    """The embedded server ships its own pg_dump; otherwise use the machine's (or PG_DUMP)."""
    host = settings.DATABASES["default"].get("HOST", "")
    if host and Path(host).is_dir() and not os.environ.get("PG_DUMP"):
        from core.embedded import embedded_bin_dir

        return str(embedded_bin_dir() / "pg_dump")
    return os.environ.get("PG_DUMP") or shutil.which("pg_dump") or "pg_dump"


def client_arguments() -> tuple[list[str], dict]:
    """The default database as pg_dump and psql take it (flags), and an environment carrying
    its password."""
    db = settings.DATABASES["default"]
    arguments = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        arguments += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        arguments += ["--port", str(db["PORT"])]
    if db.get("USER"):
        arguments += ["--username", db["USER"]]
    return arguments, {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}


def _dump_command(schema: str, target: Path) -> tuple[list[str], dict]:
    arguments, env = client_arguments()
    return [pg_dump_binary(), "--format=custom", f"--schema={schema}", f"--file={target}",
            "--no-owner", *arguments], env


def export_tenant(tenant: Tenant, *, acting_user=None) -> TenantExport:
    """Dump the tenant's schema (and nothing else) to a file the operator can download."""
    if tenant.status == Tenant.Status.DELETED:
        raise ValidationError(_("A deleted tenant has no schema left to export."))
    export_dir = Path(settings.TENANT_EXPORT_DIR)
    export_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    target = export_dir / f"{tenant.slug}-{stamp}.dump"
    cmd, env = _dump_command(tenant.schema_name, target)
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ExportFailed(result.stderr.strip() or "pg_dump failed")
    return TenantExport.objects.create(
        tenant=tenant, path=str(target), size_bytes=target.stat().st_size,
        created_by=getattr(acting_user, "email", "") or "",
    )


def delete_tenant(tenant: Tenant, *, confirm_slug: str, acting_user=None) -> TenantExport:
    """Export, then drop the schema and the host names; the row stays, marked deleted."""
    if (confirm_slug or "").strip() != tenant.slug:
        raise ValidationError(_("Type the tenant's address “%(slug)s” to confirm deletion.")
                              % {"slug": tenant.slug})
    if tenant.status == Tenant.Status.DELETED:
        raise ValidationError(_("This tenant is already deleted."))
    export = export_tenant(tenant, acting_user=acting_user)
    with transaction.atomic():
        connection.set_schema_to_public()
        hosts = list(tenant.domains.values_list("domain", flat=True))
        tenant.domains.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
        _set_status(tenant, Tenant.Status.DELETED)
    from core.tenancy import forget_hosts

    forget_hosts(*hosts)
    return export
