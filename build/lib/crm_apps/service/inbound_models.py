"""The tenant's inbound mailbox: the address customers write to and the hashed secret the
mail relay presents when it posts their messages to /inbound/email/."""

import hashlib
import hmac
import secrets

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_secret(secret: str) -> str:
    # The secret is 32 random bytes, so a plain SHA-256 resists guessing; a slow password
    # hash would only slow down every delivery.
    return hashlib.sha256(secret.encode()).hexdigest()


class InboundMailbox(models.Model):
    """One row per tenant (pk 1): where customers write, and how the relay authenticates."""

    address = models.EmailField(
        _("inbound address"), blank=True,
        help_text=_("Leave empty to use support@ followed by the workspace's host name."))
    secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret changed"), null=True, blank=True,
                                             editable=False)

    class Meta:
        verbose_name = _("inbound mailbox")
        verbose_name_plural = _("inbound mailboxes")

    def __str__(self):
        return self.inbound_address

    @classmethod
    def current(cls) -> "InboundMailbox":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def inbound_address(self) -> str:
        if self.address:
            return self.address
        return f"support@{connection.tenant.hostname}"

    def rotate_secret(self) -> str:
        """Store a new secret's hash and return the secret itself (shown once)."""
        secret = secrets.token_urlsafe(32)
        self.secret_hash = hash_secret(secret)
        self.secret_rotated_at = timezone.now()
        self.save()
        return secret

    def accepts(self, secret: str) -> bool:
        if not self.secret_hash or not secret:
            return False
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))
