"""List filters of the activity API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crm_apps.activities.models import Activity


class ActivityFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due", lookup_expr="lt",
                                                  label=_("Due before"))
    due_after = django_filters.IsoDateTimeFilter(field_name="due", lookup_expr="gte",
                                                 label=_("Due on or after"))
    open = django_filters.BooleanFilter(method="filter_open",
                                        label=_("Open tasks (true) or done tasks (false)"))

    class Meta:
        model = Activity
        fields = ["kind", "account", "contact", "owner", "assignee"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(kind=Activity.Kind.TASK, done_at__isnull=value)
