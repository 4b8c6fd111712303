"""Notification kinds of contracts."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

RENEWAL_DUE = kinds.register("contract.renewal_due", _("Contracts due for renewal"),
                             audience=kinds.STAFF, email_default=True)
