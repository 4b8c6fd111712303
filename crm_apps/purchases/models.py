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
