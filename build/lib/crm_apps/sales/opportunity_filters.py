"""List filters of opportunities (API and pages alike), with custom fields (``cf_*``)."""

import django_filters
from django.db.models import Q

from crm_apps.customers.serializers import staff_users
from crm_apps.customization.filtering import CustomizableFilterSet
from crm_apps.sales.models import Opportunity


class OpportunityFilter(CustomizableFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    owner = django_filters.ModelChoiceFilter(queryset=staff_users().distinct(), label="Owner")
    expected_close_after = django_filters.DateFilter(field_name="expected_close",
                                                     lookup_expr="gte",
                                                     label="Expected close from")
    expected_close_before = django_filters.DateFilter(field_name="expected_close",
                                                      lookup_expr="lte",
                                                      label="Expected close up to")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte",
                                             label="Amount from")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte",
                                             label="Amount up to")

    class Meta:
        model = Opportunity
        fields = ["pipeline", "stage", "owner", "team", "forecast_category", "account"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(account__name__icontains=value))
