"""Portal-only records: a customer's notification choices and self-registrations awaiting
verification."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Contact


class PortalPreferences(models.Model):
    """Which e-mails a portal customer wants; no row means the defaults (all on)."""

    contact = models.OneToOneField(Contact, verbose_name=_("contact"), on_delete=models.CASCADE,
                                   related_name="portal_preferences")
    email_on_reply = models.BooleanField(_("e-mail me when support replies"), default=True)
    email_on_status = models.BooleanField(_("e-mail me when a ticket's status changes"),
                                          default=True)
    email_on_order = models.BooleanField(_("e-mail me about my orders"), default=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("portal preferences")
        verbose_name_plural = _("portal preferences")

    def __str__(self):
        return str(self.contact)


class PendingRegistration(models.Model):
    """A self-registered login kept inactive until its e-mail address is confirmed; it tells
    such a login apart from one staff switched off, which must never come back by itself."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                                on_delete=models.CASCADE, related_name="+")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending registration")
        verbose_name_plural = _("pending registrations")

    def __str__(self):
        return self.user.email
