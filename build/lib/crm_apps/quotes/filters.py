"""List filters of quotes (API and the list page) and of the catalogue picker."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from crm_apps.customers.serializers import staff_users
from crm_apps.quotes.models import Quote

StockRecord = get_model("partner", "StockRecord")


def search_quotes(queryset, value: str):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(title__icontains=value) | Q(number__icontains=value)
                           | Q(account__name__icontains=value))


class QuoteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(queryset=staff_users().distinct(),
                                             label=_("Owner"))
    valid_after = django_filters.DateFilter(field_name="valid_until", lookup_expr="gte",
                                            label=_("Valid until on or after"))
    valid_before = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte",
                                             label=_("Valid until on or before"))
    latest = django_filters.BooleanFilter(method="filter_latest",
                                          label=_("Only the newest version of each quote"))

    class Meta:
        model = Quote
        fields = ["number", "status", "account", "contact", "opportunity", "owner", "team",
                  "currency", "language"]

    def filter_q(self, queryset, name, value):
        return search_quotes(queryset, value)

    def filter_latest(self, queryset, name, value):
        if value is None:
            return queryset
        newer = Quote.everything.filter(previous=OuterRef("pk"))
        return queryset.filter(~Exists(newer)) if value else queryset.filter(Exists(newer))


class QuotePageFilter(django_filters.FilterSet):
    """Filters of the quote list page (the query string is shared with its links)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Quote.Status.choices, label=_("Status"),
                                         empty_label=_("Any status"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only mine"))
    valid_after = django_filters.DateFilter(field_name="valid_until", lookup_expr="gte",
                                            label=_("Valid until on or after"))
    valid_before = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte",
                                             label=_("Valid until on or before"))

    class Meta:
        model = Quote
        fields = ["q", "status", "mine", "valid_after", "valid_before", "account",
                  "opportunity"]

    def filter_q(self, queryset, name, value):
        return search_quotes(queryset, value)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(owner=self.request.user)


class CatalogueProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search",
                                       label=_("Title, SKU or UPC contains"))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # EXISTS rather than a join: a product with several stock records appears once.
        by_sku = StockRecord.objects.filter(product=OuterRef("pk"),
                                            partner_sku__icontains=value)
        return queryset.filter(Q(title__icontains=value) | Q(upc__icontains=value)
                               | Exists(by_sku))
