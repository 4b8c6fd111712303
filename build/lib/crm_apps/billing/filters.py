"""List filters of invoices (API and the list page)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm_apps.billing.models import Invoice


def search_invoices(queryset, value: str):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(number__icontains=value) | Q(account__name__icontains=value))


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Invoice.Status.choices,
                                                 label=_("Status"))
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte",
                                             label=_("Issued on or after"))
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte",
                                              label=_("Issued on or before"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte",
                                           label=_("Due on or before"))

    class Meta:
        model = Invoice
        fields = ["q", "number", "status", "account", "contact", "contract", "order",
                  "currency", "language"]

    def filter_q(self, queryset, name, value):
        return search_invoices(queryset, value)
