"""Activities on customer records: tasks, calls, meetings and notes, and the record timeline."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "crm_apps.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from core import audit
        from crm_apps.activities import notifications, sources  # noqa: F401 - registrations
        from crm_apps.activities.models import Activity
        from crm_apps.customers import binned

        audit.register(Activity)
        binned.register("activity", Activity, _("Activities"))
