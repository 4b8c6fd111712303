"""The activities' own timeline source."""

from django.db.models import Case, F, When
from django.urls import reverse

from crm_apps.activities.models import Activity
from crm_apps.activities.timeline import record_filter, register_source
from crm_apps.activities.visibility import visible_activities


def link_of(activity: Activity) -> str:
    if activity.account_id:
        return reverse("customers:account-detail", args=[activity.account_id])
    if activity.contact_id:
        return reverse("customers:contact-detail", args=[activity.contact_id])
    return ""


def summary_of(activity: Activity) -> str:
    return activity.body[:280]


def timeline_moment():
    """Timeline order: a meeting at its start, an e-mail when it was sent, anything else when
    it was recorded (the same as ``Activity.when``)."""
    return Case(
        When(kind=Activity.Kind.MEETING, start__isnull=False, then=F("start")),
        When(kind=Activity.Kind.EMAIL, sent_at__isnull=False, then=F("sent_at")),
        default=F("created"))


def activity_items(*, account=None, contact=None, user, before=None, limit=None):
    queryset = visible_activities(
        Activity.objects.filter(record_filter(account, contact)), user)
    queryset = queryset.annotate(when_at=timeline_moment())
    if before is not None:
        queryset = queryset.filter(when_at__lte=before)
    queryset = queryset.order_by("-when_at", "-id")
    if limit:
        queryset = queryset[:limit]
    for activity in queryset:
        yield {"kind": activity.kind, "id": activity.pk, "title": activity.subject,
               "when": activity.when_at, "summary": summary_of(activity),
               "link": link_of(activity)}


register_source("activities", activity_items)
