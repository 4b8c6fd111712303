"""Notification kinds of activities."""

from django.utils.translation import gettext_lazy as _

from realtime import kinds

REMINDER = kinds.register("activity.reminder", _("Task reminders"), audience=kinds.STAFF,
                          email_default=True)
