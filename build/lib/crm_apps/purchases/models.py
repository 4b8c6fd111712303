"""Which contact an Oscar order belongs to. A signed-in shopper's order is theirs through the
portal login; a guest's is linked by e-mail, and only when that cannot take over someone
else's account (see crm_apps.purchases.linking)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderContact(models.Model):
    class How(models.TextChoices):
        LOGIN = "login", _("Signed-in shopper")
        GUEST_MATCHED = "guest_matched", _("Guest, e-mail of an existing contact")
        GUEST_CREATED = "guest_created", _("Guest, new contact")
        CLAIMED = "claimed", _("Guest order claimed by the account holder")

    order = models.OneToOneField("order.Order", verbose_name=_("order"),
                                 on_delete=models.CASCADE, related_name="crm_contact_link")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"),
                                on_delete=models.CASCADE, related_name="order_links")
    how = models.CharField(_("linked by"), max_length=20, choices=How.choices)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order of a contact")
        verbose_name_plural = _("orders of contacts")
        indexes = [models.Index(fields=["contact", "-created"], name="order_contact_recent")]

    def __str__(self):
        return f"{self.order_id} -> {self.contact_id}"


class PendingOrderLink(models.Model):
    """A guest order that no contact holds yet, and why: the account holder whose e-mail it
    gave has not confirmed it is theirs, or several contacts share that e-mail and staff must
    decide. It is never shown in anyone's portal while it waits here."""

    class Reason(models.TextChoices):
        AWAITING_CLAIM = "awaiting_claim", _("Waiting for the account holder to confirm")
        SEVERAL_CONTACTS = "several_contacts", _("Several contacts have this e-mail")

    order = models.OneToOneField("order.Order", verbose_name=_("order"),
                                 on_delete=models.CASCADE, related_name="crm_pending_link")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # The account holder asked to confirm (for AWAITING_CLAIM only).
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True,
                                blank=True, on_delete=models.CASCADE,
                                related_name="pending_order_links")
    email = models.EmailField(_("e-mail given at checkout"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order waiting for its contact")
        verbose_name_plural = _("orders waiting for their contacts")

    def __str__(self):
        return f"{self.order_id} ({self.reason})"
