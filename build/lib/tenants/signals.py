"""Keep the per-host tenant cache honest whenever a Tenant or Domain changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from core.tenancy import forget_hosts
from tenants.models import Domain, Tenant


def _forget_on_commit(*hostnames):
    forget_hosts(*hostnames)
    # A request racing the commit could re-cache the old row: forget again once it is visible.
    transaction.on_commit(lambda: forget_hosts(*hostnames))


@receiver(pre_save, sender=Domain)
def remember_previous_domain(sender, instance, **kwargs):
    # A renamed domain must drop the cache entry of its old name too.
    instance._previous_domain = (
        Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if instance.pk else None
    )


@receiver([post_save, post_delete], sender=Domain)
def domain_changed(sender, instance, **kwargs):
    previous = getattr(instance, "_previous_domain", None)
    _forget_on_commit(*{instance.domain, previous} - {None})


@receiver([post_save, post_delete], sender=Tenant)
def tenant_changed(sender, instance, **kwargs):
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hosts:
        _forget_on_commit(*hosts)
