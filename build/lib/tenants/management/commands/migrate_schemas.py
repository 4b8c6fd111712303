"""migrate_schemas that also keeps the template schema migrated and seeded.

The template has no Tenant row, so django-tenants' command would skip it, and every tenant
cloned afterwards would lack the new migrations. Deleted tenants (no schema) are skipped.
"""

from django.conf import settings
from django.db import connection
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import (
    GET_EXECUTOR_FUNCTION,
    MigrateSchemasCommand,
)
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants.cloning import install_clone_function
from tenants.models import Tenant
from tenants.spares import drop_stale_spares
from tenants.template import (
    TEMPLATE_SCHEMA,
    create_template_schema,
    seed_template,
    template_fingerprint,
)


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        SyncCommon.handle(self, *args, **options)
        public = get_public_schema_name()
        if self.sync_public and not self.schema_name:
            self.schema_name = public
        executor = GET_EXECUTOR_FUNCTION(codename=self.executor)(self.args, self.options)

        if self.sync_public:
            executor.run_migrations(tenants=[public])
        if not self.sync_tenant:
            return
        if self.schema_name and self.schema_name != public:
            if not schema_exists(self.schema_name):
                raise RuntimeError(f'Schema "{self.schema_name}" does not exist')
            executor.run_migrations(tenants=[self.schema_name])
            return

        create_template_schema()
        live = Tenant.objects.exclude(schema_name=public).exclude(
            status=Tenant.Status.DELETED).values_list("schema_name", flat=True)
        executor.run_migrations(tenants=[TEMPLATE_SCHEMA, *live])
        connection.set_schema_to_public()
        seed_template()
        install_clone_function()
        dropped = drop_stale_spares(template_fingerprint())
        if dropped and int(self.options.get("verbosity", 1)) >= 1:
            self.stdout.write(f"Dropped {dropped} spare schema(s) cloned from an older template.")
        if settings.DEBUG and int(self.options.get("verbosity", 1)) >= 2:
            self.stdout.write(f"Template schema {TEMPLATE_SCHEMA} is current.")
