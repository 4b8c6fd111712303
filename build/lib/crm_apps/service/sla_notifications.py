"""Notification kinds of SLA clocks: a breach coming and a breach."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

SLA_WARNING = kinds.register("ticket.sla_warning", _("Tickets about to miss their SLA"),
                             audience=kinds.STAFF, email_default=True)
SLA_BREACH = kinds.register("ticket.sla_breach", _("Tickets that missed their SLA"),
                            audience=kinds.STAFF, email_default=True)
