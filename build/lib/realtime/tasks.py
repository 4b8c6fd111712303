"""Background tasks of the live layer: announcements as jobs, and periodic clean-ups."""

from datetime import timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.utils import timezone

from core.roles import PORTAL_CUSTOMER, STAFF_ROLES
from realtime import kinds
from realtime.jobs import JobProgress
from realtime.models import Job, Notification
from realtime.services import channels_for, email_notification, notify

BATCH = 200
READ_NOTIFICATION_DAYS = 90
FINISHED_JOB_DAYS = 30


def audience_users(audience: str):
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if audience == kinds.CUSTOMERS:
        return users.filter(groups__name=PORTAL_CUSTOMER)
    return users.filter(groups__name__in=STAFF_ROLES).distinct()


@shared_task(name="realtime.announce")
def announce(job_id: str, *, audience: str, title: str, body: str = "", link: str = "") -> dict:
    """Notify every staff member (or every portal customer) in batches, e-mail those who chose
    e-mail, and report progress; an address that cannot be reached is a per-item error."""
    kind = kinds.STAFF_ANNOUNCEMENT if audience == kinds.STAFF else kinds.CUSTOMER_ANNOUNCEMENT
    with JobProgress(job_id) as progress:
        users = list(audience_users(audience))
        progress.set_total(len(users))
        notified = emailed = 0
        with get_connection() as mail:  # one SMTP session for the whole announcement
            for start in range(0, len(users), BATCH):
                batch = users[start:start + BATCH]
                notified += len(notify(batch, kind=kind.code, title=title, body=body,
                                       link=link, email=False))
                wants = channels_for(batch, kind)
                for user in batch:
                    if wants[user.pk][1] and user.email:
                        try:
                            email_notification(user, title, body, link, connection=mail)
                            emailed += 1
                        except Exception as exc:  # noqa: BLE001 - one bad address must not stop the rest
                            progress.item_failed(user.email, exc)
                            continue
                    progress.advance()
        result = {"recipients": len(users), "notified": notified, "emailed": emailed}
        progress.finish(result=result)
    return result


@shared_task(name="realtime.tasks.purge_read_notifications")
def purge_read_notifications() -> int:
    """Periodic, per tenant: drop notifications read more than 90 days ago."""
    cutoff = timezone.now() - timedelta(days=READ_NOTIFICATION_DAYS)
    deleted, _ = Notification.objects.filter(is_read=True, read_at__lt=cutoff).delete()
    return deleted


@shared_task(name="realtime.tasks.expire_finished_jobs")
def expire_finished_jobs() -> int:
    """Periodic, per tenant: drop job records finished more than 30 days ago."""
    cutoff = timezone.now() - timedelta(days=FINISHED_JOB_DAYS)
    deleted, _ = Job.objects.filter(finished__lt=cutoff).delete()
    return deleted
