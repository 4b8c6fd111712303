"""The agents' ticket queues (mine, my team, unassigned, breaching soon, all) and their filters."""

from datetime import timedelta

from django import forms
from django.db.models import Case, F, Q, When
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Tag
from crm_apps.customers.visibility import team_ids, visible
from crm_apps.service.models import Ticket

# "Breaching soon": a first response or a resolution due within this many hours (or overdue).
SOON_HOURS = 4
# A search's contacts by name or e-mail; more than this is not a search worth listing by.
CONTACT_MATCHES = 1_000
# A search counts its matches up to this many: counting 25,000 matches of a common word read
# them all on every page, and nobody pages past the first thousand of a search.
SEARCH_COUNT_CAP = 1_000
ACTIVE_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING,
                   Ticket.Status.ON_HOLD)
QUEUES = (
    ("mine", _("Mine")),
    ("team", _("My team")),
    ("unassigned", _("Unassigned")),
    ("breaching", _("Breaching soon")),
    ("all", _("All")),
)
QUEUE_NAMES = tuple(name for name, _label in QUEUES)


def soon(now=None):
    return (now or timezone.now()) + timedelta(hours=SOON_HOURS)


def due_soon_rule(now=None) -> Q:
    """A clock still running whose due time falls before the "soon" horizon. Each half matches
    one of the partial indexes on the due times (running clocks only)."""
    horizon = soon(now)
    return (Q(first_responded_at__isnull=True, first_response_due__lte=horizon)
            | Q(resolved_at__isnull=True, resolution_due__lte=horizon))


def next_due():
    """The earlier of the clocks still running (LEAST skips NULLs on PostgreSQL)."""
    return Least(
        Case(When(first_responded_at__isnull=True, then=F("first_response_due"))),
        Case(When(resolved_at__isnull=True, then=F("resolution_due"))))


def queue_rule(name: str, user, now=None) -> Q:
    """What puts a ticket in queue ``name`` for ``user`` (on top of the visibility rule)."""
    active = Q(status__in=ACTIVE_STATUSES)
    if name == "mine":
        return active & Q(owner=user)
    if name == "team":
        teams = team_ids(user)
        # Without a team the queue is empty; an empty IN () would void the whole count query.
        return active & (Q(team__in=teams) if teams else Q(pk__isnull=True))
    if name == "unassigned":
        return active & Q(owner__isnull=True)
    if name == "breaching":  # paused clocks (waiting on the customer, on hold) cannot breach
        return active & Q(sla_paused_at__isnull=True) & due_soon_rule(now)
    return Q()


def base_queryset(user):
    """Every ticket ``user`` may see (merged duplicates stay out of the queues)."""
    return visible(Ticket.objects.filter(merged_into__isnull=True), user)


def queue(name: str, user, now=None):
    """The tickets of one queue, in the order agents work them, rows joined for the list."""
    tickets = base_queryset(user).filter(queue_rule(name, user, now))
    if name == "breaching":
        tickets = tickets.annotate(next_due=next_due()).order_by("next_due", "id")
    else:
        tickets = tickets.order_by("-id")
    return tickets


def with_list_rows(tickets):
    return tickets.select_related("contact", "account", "owner", "team")


def queue_counts(user, now=None, *, with_all=False) -> dict[str, int | None]:
    """The number of tickets in each working queue, for the tabs: a count per queue, each
    read through its own index (owner, team, the due-time partial indexes); one query with a
    filtered count per queue read every ticket still being worked, three times as slow.
    "All" is counted only when asked (its own page): counting the whole table was the
    slowest part of every queue page."""
    tickets = base_queryset(user)
    return {name: tickets.filter(queue_rule(name, user, now)).count()
            if name != "all" or with_all else None for name in QUEUE_NAMES}


class QueueFilterForm(forms.Form):
    """The filters of a queue; anything it cannot read is a 400, not an empty or broken page."""

    queue = forms.ChoiceField(choices=QUEUES, required=False)
    status = forms.ChoiceField(choices=[("", _("Any status")), *Ticket.Status.choices],
                               required=False)
    priority = forms.ChoiceField(choices=[("", _("Any priority")), *Ticket.Priority.choices],
                                 required=False)
    kind = forms.ChoiceField(choices=[("", _("Any type")), *Ticket.Kind.choices],
                             required=False)
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False)
    q = forms.CharField(max_length=100, required=False, strip=True)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def filter(self, tickets):
        data = self.cleaned_data
        for name in ("status", "priority", "kind"):
            if data.get(name):
                tickets = tickets.filter(**{name: data[name]})
        if data.get("tag"):
            tickets = tickets.filter(tags=data["tag"])
        if data.get("q"):
            tickets = tickets.filter(search_rule(data["q"]))
        return tickets


def search_rule(text: str) -> Q:
    """A ticket number (T-000042, or 42), or words of the subject or of the contact's name or
    e-mail. A number is looked up by the unique index alone. Contacts are looked up first, into
    a list of ids: an OR across the join, or a subquery inside the OR, made Postgres read every
    ticket; with plain conditions it combines the subject's trigram index and the contact
    index. Words are matched with ILIKE on the bare columns, the shape the trigram indexes
    serve (``icontains`` wraps the column in UPPER(), which no index holds)."""
    from crm_apps.customers.models import Contact
    from crm_apps.customers.search import contains

    upper = text.upper()
    digits = upper.removeprefix(Ticket.number_prefix)
    conditions = [Q(contains(F("subject"), text))]
    if digits.isdigit() and len(digits) < 10:
        number = Q(number=f"{Ticket.number_prefix}{int(digits):06d}")
        if upper.startswith(Ticket.number_prefix):
            return number
        conditions.append(number)
    contact_ids = list(Contact.objects.filter(
        Q(contains(F("email"), text)) | Q(contains(F("first_name"), text))
        | Q(contains(F("last_name"), text))).values_list("pk", flat=True)[:CONTACT_MATCHES])
    if contact_ids:
        conditions.append(Q(contact_id__in=contact_ids))
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined
