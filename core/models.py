"""The one User model: operators in the public schema, staff and portal customers in each tenant."""

from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from oscar.apps.customer.abstract_models import AbstractUser


class User(AbstractUser):
    """E-mail login user; the same table exists in every schema, so ids never cross tenants."""

    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, default=""
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email

    def _migrate_alerts_to_user(self):
        # Oscar's product alerts live in tenant schemas only; operators have none to adopt.
        if getattr(connection, "schema_name", "public") == "public":
            return
        super()._migrate_alerts_to_user()
