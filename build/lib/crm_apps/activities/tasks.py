"""Background tasks of activities: task reminders."""

from celery import shared_task
from django.db import transaction
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.activities.models import Activity
from crm_apps.activities.notifications import REMINDER
from crm_apps.activities.sources import link_of
from realtime.services import notify

BATCH = 200


def _local_moment(moment, zone) -> str:
    """``moment`` in ``zone``, in the reader's language (the one active when read)."""
    return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


def reminder_body(task):
    """When the task is due, in the tenant's zone (the task runs in it), then its details;
    lazy, so each recipient reads it in their own language."""
    if task.due is None:
        return task.body[:500]
    zone = timezone.get_current_timezone()
    due = format_lazy(_("Due {when} ({zone})"), when=lazy(_local_moment, str)(task.due, zone),
                      zone=str(zone))
    return format_lazy("{}\n\n{}", due, task.body[:500]) if task.body else due


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
                           body=reminder_body(task), link=link_of(task))
                    sent += 1
            # A flag of the reminder machinery, not a change to the activity: not audited.
            Activity.objects.filter(pk__in=[task.pk for task in batch]).update(reminded=True)
