"""List filters of customer records (API and pages alike, django-filter), including a search
that finds Chinese, filters by custom field (``cf_*``) and refusals of hidden fields."""

import django_filters

from crm_apps.customers.models import Account, Contact
from crm_apps.customers.search import search_accounts, search_contacts
from crm_apps.customization.access import hidden_fields
from crm_apps.customization.filtering import CustomizableFilterSet


class AccountFilter(CustomizableFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tag = django_filters.CharFilter(field_name="tags__name")
    customer_class = django_filters.CharFilter(field_name="classes__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    annual_revenue_min = django_filters.NumberFilter(field_name="annual_revenue",
                                                     lookup_expr="gte")
    annual_revenue_max = django_filters.NumberFilter(field_name="annual_revenue",
                                                     lookup_expr="lte")

    class Meta:
        model = Account
        fields = ["industry", "size", "tier", "owner", "team", "country", "territory", "parent"]

    def search(self, queryset, name, value):
        # Substring match for Chinese and English alike, never on a field hidden from the
        # user; crm_apps.customers.search says which indexes serve it.
        user = getattr(self.request, "user", None)
        hidden = hidden_fields(Account, user) if user is not None else frozenset()
        return search_accounts(queryset, value, hidden)


class ContactFilter(CustomizableFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    tag = django_filters.CharFilter(field_name="tags__name")
    customer_class = django_filters.CharFilter(field_name="classes__name")
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["account", "lifecycle_stage", "owner", "team", "email_consent"]

    def search(self, queryset, name, value):
        # Whole names as people type them ("Ada Lovelace", "Lovelace Ada", and for Chinese
        # family name first with no space: "张伟"), e-mail, phone digits, account name; never
        # on a field hidden from the user.
        user = getattr(self.request, "user", None)
        if user is None:
            return search_contacts(queryset, value, frozenset())
        return search_contacts(queryset, value, hidden_fields(Contact, user),
                               hidden_fields(Account, user))
