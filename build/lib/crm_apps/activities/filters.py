"""List filters of the activity API and of the activity list page."""

import datetime

import django_filters
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from crm_apps.activities.models import Activity
from crm_apps.activities.visibility import attended_by
from crm_apps.activities.zones import day_start


class ActivityFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due", lookup_expr="lt",
                                                  label=_("Due before"))
    due_after = django_filters.IsoDateTimeFilter(field_name="due", lookup_expr="gte",
                                                 label=_("Due on or after"))
    open = django_filters.BooleanFilter(method="filter_open",
                                        label=_("Open tasks (true) or done tasks (false)"))

    class Meta:
        model = Activity
        fields = ["kind", "account", "contact", "lead", "owner", "assignee"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(kind=Activity.Kind.TASK, done_at__isnull=value)


def on_moment():
    """When an activity happens for a list or a calendar: a task when due, a meeting when it
    starts, an e-mail when sent, anything else when recorded."""
    Kind = Activity.Kind
    return Case(
        When(kind=Kind.TASK, due__isnull=False, then=F("due")),
        When(kind=Kind.MEETING, start__isnull=False, then=F("start")),
        When(kind=Kind.EMAIL, sent_at__isnull=False, then=F("sent_at")),
        default=F("created"))


class ActivityPageFilter(django_filters.FilterSet):
    """Filters of the activity list page (the query string is shared with its links)."""

    q = django_filters.CharFilter(field_name="subject", lookup_expr="icontains",
                                  label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices, label=_("Kind"),
                                       empty_label=_("Any kind"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only mine"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open tasks"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))

    class Meta:
        model = Activity
        fields = ["q", "kind", "mine", "open", "date_from", "date_to"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = self.request.user
        return queryset.filter(Q(owner=user) | Q(assignee=user) | attended_by(user))

    def filter_open(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(kind=Activity.Kind.TASK, done_at__isnull=True)

    def filter_from(self, queryset, name, value):
        if value <= datetime.date.min + datetime.timedelta(days=2):
            return queryset  # the start of time: everything lies after it
        return queryset.filter(on_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        if value >= datetime.date.max - datetime.timedelta(days=2):
            return queryset  # the end of time: nothing lies after it
        return queryset.filter(on_at__lt=day_start(value + datetime.timedelta(days=1)))
