"""Keep the per-host tenant cache honest whenever a Tenant or Domain changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.tenancy import forget_hosts
from tenants.models import Domain, Tenant


def _forget_on_commit(*hostnames):
    forget_hosts(*hostnames)
    # A request racing the commit could re-cache the old row: forget again once it is visible.
    transaction.on_commit(lambda: forget_hosts(*hostnames))


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance, **kwargs):
    _forget_on_commit(instance.domain)


@receiver([post_save, post_delete], sender=Tenant)
def tenant_changed(sender, instance, **kwargs):
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hosts:
        _forget_on_commit(*hosts)
