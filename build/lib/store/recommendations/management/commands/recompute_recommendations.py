"""Recompute the shop recommendations of one tenant, or of every active tenant, now."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.models import Tenant


class Command(BaseCommand):
    help = "Relearn products bought together and best sellers from the shop's orders."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="A tenant's slug (default: every active tenant).")

    def handle(self, *args, tenant=None, **options):
        from store.recommendations import compute

        tenants = Tenant.objects.exclude(schema_name=get_public_schema_name())
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with slug {tenant!r}.")
        else:
            tenants = tenants.filter(status=Tenant.Status.ACTIVE)
        for each in tenants.order_by("slug"):
            with tenant_context(each):
                run = compute.recompute()
            self.stdout.write(f"{each.slug}: {run.orders} orders, {run.pairs} pairs, "
                              f"{run.best_sellers} best sellers in {run.seconds:.2f} s")
