"""The tenant's Stripe settings, our own payment records and the Stripe events received."""

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm_apps.payments import secrets

logger = logging.getLogger(__name__)


class EncryptedTextField(models.TextField):
    """Text kept encrypted in its column (Fernet) and plain in Python; empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return secrets.decrypt(value)
        except secrets.UnreadableSecret:
            # The encryption key changed: the tenant sees Stripe as not configured and enters
            # the keys again, instead of every page that reads the settings failing.
            logger.warning("a stored secret could not be decrypted (field %s)", self.name)
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return secrets.encrypt(value) if value else ""


class StripeAccountSettings(models.Model):
    """One row per tenant (pk 1): the tenant's own Stripe keys, or its connected account."""

    class Mode(models.TextChoices):
        OWN_KEYS = "own_keys", _("Our own Stripe account (API keys)")
        CONNECT = "connect", _("A Stripe account connected to the platform")

    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices,
                            default=Mode.OWN_KEYS)
    secret_key = EncryptedTextField(_("secret key"), blank=True)
    publishable_key = EncryptedTextField(_("publishable key"), blank=True)
    webhook_secret = EncryptedTextField(_("webhook signing secret"), blank=True)
    connected_account_id = models.CharField(_("connected account ID"), max_length=64,
                                            blank=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Stripe settings")
        verbose_name_plural = _("Stripe settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "StripeAccountSettings":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def is_configured(self) -> bool:
        """Whether payments can be taken: keys and webhook secret, or a connected account on a
        platform that has its own keys."""
        if self.mode == self.Mode.CONNECT:
            return bool(self.connected_account_id and settings.STRIPE_SECRET_KEY
                        and settings.STRIPE_WEBHOOK_SECRET)
        return bool(self.secret_key and self.webhook_secret)


class StripePayment(models.Model):
    """Our own record of one payment, created before Stripe hears of it: its id derives the
    idempotency keys, and webhooks find it again through the metadata we send."""

    class Purpose(models.TextChoices):
        INVOICES = "invoices", _("Invoices")
        STORE_ORDER = "store_order", _("Store order")

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    reference = models.JSONField(_("reference"), default=dict, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    amount_refunded = models.DecimalField(_("amount refunded"), max_digits=16,
                                          decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.CREATED, db_index=True)
    checkout_session_id = models.CharField(_("checkout session"), max_length=255, blank=True,
                                           db_index=True)
    payment_intent_id = models.CharField(_("payment intent"), max_length=255, blank=True,
                                         db_index=True)
    customer_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("customer"),
                                      null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="stripe_payments")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("Stripe payment")
        verbose_name_plural = _("Stripe payments")

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)


class StripeEvent(models.Model):
    """A verified event, stored once: its unique id is what makes a redelivery a no-op."""

    event_id = models.CharField(_("event ID"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    livemode = models.BooleanField(_("live mode"), default=False)
    account = models.CharField(_("connected account"), max_length=64, blank=True)
    payment = models.ForeignKey(StripePayment, verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="events")
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.type} {self.event_id}"
