"""Notification kinds of commission statements."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

STATEMENT_SUBMITTED = kinds.register(
    "commission.statement_submitted", _("Commission statements waiting for approval"),
    audience=kinds.STAFF)
STATEMENT_DECIDED = kinds.register(
    "commission.statement_decided", _("Your commission statements approved or rejected"),
    audience=kinds.STAFF, email_default=True)
