"""Notification kinds of quotes."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

ANSWERED = kinds.register("quote.answered", _("Quotes accepted or declined by customers"),
                          audience=kinds.STAFF, email_default=True)
