"""List filters of the customer API (django-filter), including a search that finds Chinese."""

import django_filters
from django.db.models import Q, Value
from django.db.models.functions import Concat

from crm_apps.customers.models import Account, Contact


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tag = django_filters.CharFilter(field_name="tags__name")
    customer_class = django_filters.CharFilter(field_name="classes__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")

    class Meta:
        model = Account
        fields = ["industry", "size", "tier", "owner", "team", "country", "territory", "parent"]

    def search(self, queryset, name, value):
        # Substring match (ILIKE): works for Chinese, which has no word boundaries to stem;
        # a trigram index serves it where PostgreSQL has pg_trgm.
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(domain__icontains=value)
                               | Q(phone__icontains=value)) if value else queryset


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tag = django_filters.CharFilter(field_name="tags__name")
    customer_class = django_filters.CharFilter(field_name="classes__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["account", "lifecycle_stage", "owner", "team", "email_consent"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Whole names as people type them: "Ada Lovelace" and, for Chinese, family name first
        # with no space ("张伟").
        queryset = queryset.annotate(
            name_western=Concat("first_name", Value(" "), "last_name"),
            name_eastern=Concat("last_name", "first_name"))
        return queryset.filter(
            Q(name_western__icontains=value) | Q(name_eastern__icontains=value)
            | Q(email__icontains=value) | Q(phone__icontains=value)
            | Q(mobile__icontains=value) | Q(account__name__icontains=value))
