"""Celery beat's scheduler: periodic jobs fan out to every active tenant."""

from django_tenants.utils import get_public_schema_name, get_tenant_model
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler


class ActiveTenantScheduler(TenantAwarePersistentScheduler):
    """An entry without ``tenant_schemas`` runs once in each active tenant: never in public,
    the template, spare schemas (they have no Tenant row), suspended or deleted tenants."""

    @classmethod
    def get_queryset(cls):
        tenants = get_tenant_model()
        return tenants.objects.filter(status=tenants.Status.ACTIVE).exclude(
            schema_name=get_public_schema_name())
