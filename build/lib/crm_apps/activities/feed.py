"""The private iCalendar feed: a secret address per user, and the calendar it serves."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event, vCalAddress

from core.permissions import is_staff_member
from core.tasks import tenant_url
from crm_apps.activities.agenda import my_meetings, my_tasks
from crm_apps.activities.models import Activity, CalendarFeed
from crm_apps.activities.visibility import visible_activities
from crm_apps.activities.zones import tenant_zone
from crm_apps.customers.views import person_name

# How far back the feed reaches (ahead it has no limit) and how much it holds at most.
HISTORY = datetime.timedelta(days=90)
MAX_EVENTS = 2000
# A task shows as an event this long from its due time.
TASK_LENGTH = datetime.timedelta(minutes=30)
LAST_USED_EVERY = datetime.timedelta(hours=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def live_feed(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked__isnull=True).first()


@transaction.atomic
def issue(user) -> tuple[CalendarFeed, str]:
    """A new address for ``user``, ending any earlier one; the key is returned only here."""
    revoke(user)
    key = secrets.token_urlsafe(32)
    return CalendarFeed.objects.create(user=user, prefix=key[:8], key_hash=_hash(key)), key


def revoke(user) -> int:
    return CalendarFeed.objects.filter(user=user, revoked__isnull=True).update(
        revoked=timezone.now())


def feed_of(key: str) -> CalendarFeed | None:
    """The live feed of ``key`` in this tenant's schema (another tenant's key finds nothing
    here), if its user is still active staff."""
    feed = (CalendarFeed.objects.select_related("user")
            .filter(key_hash=_hash(key), revoked__isnull=True).first())
    if feed is None or not is_staff_member(feed.user):
        return None
    return feed


def _person(address: str, name: str, role: str = "REQ-PARTICIPANT") -> vCalAddress:
    person = vCalAddress(f"mailto:{address}")
    if name:
        person.params["CN"] = name
    person.params["ROLE"] = role
    person.params["CUTYPE"] = "INDIVIDUAL"
    return person


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _event(activity: Activity, host: str) -> Event:
    event = Event()
    event.add("uid", f"activity-{activity.pk}@{host}")
    event.add("dtstamp", _utc(activity.updated))
    event.add("created", _utc(activity.created))
    event.add("last-modified", _utc(activity.updated))
    event.add("url", tenant_url(reverse("activities:detail", args=[activity.pk])))
    details = [activity.body.strip()] if activity.body.strip() else []
    if activity.account_id:
        details.append(_("Account: %(name)s") % {"name": activity.account.name})
    if activity.contact_id:
        details.append(_("Contact: %(name)s") % {"name": person_name(activity.contact)})
    if details:
        event.add("description", "\n\n".join(details))
    return event


def _meeting(activity: Activity, zone, host: str) -> Event:
    event = _event(activity, host)
    event.add("summary", activity.subject)
    start = timezone.localtime(activity.start, zone)
    event.add("dtstart", start)
    event.add("dtend", timezone.localtime(activity.end, zone) if activity.end
              else start + datetime.timedelta(hours=1))
    if activity.place:
        event.add("location", activity.place)
    if activity.owner and activity.owner.email:
        event.add("organizer", _person(activity.owner.email, activity.owner.get_full_name(),
                                       role="CHAIR"))
    for person in activity.attendees.all():
        if person.email:
            event.add("attendee", _person(person.email, person.get_full_name()))
    for contact in activity.contact_attendees.all():
        if contact.email:
            event.add("attendee", _person(contact.email, person_name(contact)))
    event.add("status", "CONFIRMED")
    return event


def _task(activity: Activity, zone, host: str) -> Event:
    event = _event(activity, host)
    subject = _("Task: %(subject)s") % {"subject": activity.subject}
    if activity.done_at:
        subject = _("Done: %(subject)s") % {"subject": activity.subject}
    event.add("summary", subject)
    due = timezone.localtime(activity.due, zone)
    event.add("dtstart", due)
    event.add("dtend", due + TASK_LENGTH)
    event.add("transp", "TRANSPARENT")  # a task does not make its assignee busy
    event.add("categories", [_("Task")])
    return event


def build(user, tenant) -> bytes:
    """``user``'s meetings (owned or attended) and dated tasks (assigned, or theirs with
    nobody assigned) from ``HISTORY`` ago on, in the tenant's zone with its VTIMEZONE."""
    zone = tenant_zone()
    since = timezone.now() - HISTORY
    host = tenant.hostname
    calendar = Calendar()
    calendar.add("prodid", "-//CRM Cloud//Activities//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{tenant.name} · {user.get_full_name() or user.email}")
    calendar.add("x-wr-timezone", zone.key)
    related = ("owner", "account", "contact")
    meetings = (visible_activities(my_meetings(user), user).filter(start__gte=since)
                .select_related(*related).prefetch_related("attendees", "contact_attendees")
                .order_by("start", "id")[:MAX_EVENTS])
    tasks = (visible_activities(my_tasks(user), user).filter(due__gte=since)
             .select_related(*related).order_by("due", "id")[:MAX_EVENTS])
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        for meeting in meetings:
            calendar.add_component(_meeting(meeting, zone, host))
        for task in tasks:
            calendar.add_component(_task(task, zone, host))
    calendar.add_missing_timezones()
    return calendar.to_ical()


@require_safe
def serve(request, token: str) -> HttpResponse:
    """GET /calendar/<token>.ics: no login, the secret in the address is the key."""
    feed = feed_of(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    if feed.last_used is None or now - feed.last_used > LAST_USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used=now)
    response = HttpResponse(build(feed.user, connection.tenant),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
