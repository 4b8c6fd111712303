"""List filters of the contract API and the contract list page."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm_apps.contracts.models import Contract


class ContractFilter(django_filters.FilterSet):
    end_after = django_filters.DateFilter(field_name="end", lookup_expr="gte",
                                          label=_("Ends on or after"))
    end_before = django_filters.DateFilter(field_name="end", lookup_expr="lte",
                                           label=_("Ends on or before"))

    class Meta:
        model = Contract
        fields = ["account", "contact", "status", "owner", "team", "auto_renew",
                  "billing_period", "previous"]


class ContractPageFilter(django_filters.FilterSet):
    """Filters of the contract list page (the query string is shared with its links)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices, label=_("Status"),
                                         empty_label=_("Any status"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only mine"))
    auto_renew = django_filters.BooleanFilter(label=_("Renews automatically"))
    end_after = django_filters.DateFilter(field_name="end", lookup_expr="gte",
                                          label=_("Ends on or after"))
    end_before = django_filters.DateFilter(field_name="end", lookup_expr="lte",
                                           label=_("Ends on or before"))

    class Meta:
        model = Contract
        fields = ["q", "status", "mine", "auto_renew", "end_after", "end_before", "account"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(number__icontains=value)
                               | Q(account__name__icontains=value))

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(owner=self.request.user)
