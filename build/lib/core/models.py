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


class AuditEntry(models.Model):
    """Who changed which field of which record from what to what, and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")
        RESTORED = "restored", _("Restored")
        EXPORTED = "exported", _("Exported")
        MERGED = "merged", _("Merged")

    record_type = models.CharField(_("record type"), max_length=100)  # "app_label.model"
    record_id = models.CharField(_("record"), max_length=64)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey("core.User", verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # {"field": [old, new]} in JSON-friendly values.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "record_id", "-at"], name="audit_record"),
            models.Index(fields=["actor", "-at"], name="audit_actor"),
        ]

    def __str__(self):
        return f"{self.record_type}:{self.record_id} {self.action}"


class PersonalToken(models.Model):
    """An API token a staff user creates for a script or an integration, and can revoke.
    Only a hash is stored: the token itself is shown once, when it is created."""

    user = models.ForeignKey("core.User", verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="personal_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal API token")
        verbose_name_plural = _("personal API tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
