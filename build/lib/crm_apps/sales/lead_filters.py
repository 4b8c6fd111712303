"""List filters of leads (API and pages alike): status, source, owner, team, score, search,
custom fields (``cf_*``)."""

import django_filters
from django.db.models import Q

from crm_apps.customization.access import hidden_fields
from crm_apps.customization.filtering import CustomizableFilterSet
from crm_apps.sales.models import Lead

SEARCHED = ("first_name", "last_name", "company", "email", "phone")


class LeadFilter(CustomizableFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte",
                                            label="Score from")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte",
                                            label="Score up to")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")

    class Meta:
        model = Lead
        fields = ["status", "source", "owner", "team", "country", "territory"]

    def search(self, queryset, name, value):
        # Each word must appear in a name, the company, the e-mail or the phone; never in a
        # field hidden from the user.
        hidden = hidden_fields(Lead, self.user) if self.user is not None else frozenset()
        fields = [field for field in SEARCHED if field not in hidden]
        for word in value.split():
            match = Q()
            for field in fields:
                match |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(match)
        return queryset
