"""Background tasks of activities: task reminders."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.activities.models import Activity
from crm_apps.activities.notifications import REMINDER
from crm_apps.activities.sources import link_of
from realtime.services import notify

BATCH = 200


@shared_task(name="crm_apps.activities.tasks.send_due_reminders")
def send_due_reminders() -> int:
    """Periodic, per tenant: notify the assignee (or else the owner) of each open task whose
    reminder time has passed, once. Rows are claimed with SKIP LOCKED and marked in the same
    transaction, so two runs at once never remind twice."""
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(Activity.objects.select_for_update(skip_locked=True).filter(
                kind=Activity.Kind.TASK, reminded=False, done_at__isnull=True,
                reminder_at__lte=timezone.now()).order_by("reminder_at", "id")[:BATCH])
            if not batch:
                return sent
            for task in batch:
                recipient = task.assignee_id or task.owner_id
                if recipient:
                    notify([recipient], kind=REMINDER.code,
                           title=format_lazy(_("Reminder: {subject}"), subject=task.subject),
                           body=task.body[:500], link=link_of(task))
                    sent += 1
            # A flag of the reminder machinery, not a change to the activity: not audited.
            Activity.objects.filter(pk__in=[task.pk for task in batch]).update(reminded=True)
