"""List filters of the commission statement API and page."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm_apps.commissions.models import CommissionStatement
from crm_apps.forecast import periods


class PeriodCodeField(forms.CharField):
    """A month ("2026-11") or a quarter ("2026-Q4"), cleaned into a Period."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return periods.parse(value)
        except ValueError:
            raise forms.ValidationError(
                _('Give a month such as "2026-11" or a quarter such as "2026-Q4".'),
                code="invalid") from None


@extend_schema_field(OpenApiTypes.STR)
class PeriodFilter(django_filters.Filter):
    field_class = PeriodCodeField

    def filter(self, queryset, value):
        if value is None:
            return queryset
        return queryset.filter(period_kind=value.kind, period_start=value.start)


class StatementFilter(django_filters.FilterSet):
    period = PeriodFilter(label=_("Period"), help_text=_('"2026-11" or "2026-Q4".'))
    status = django_filters.ChoiceFilter(choices=CommissionStatement.Status.choices,
                                         label=_("Status"), empty_label=_("Any status"))
    period_after = django_filters.DateFilter(field_name="period_start", lookup_expr="gte",
                                             label=_("Periods starting on or after"))
    period_before = django_filters.DateFilter(field_name="period_start", lookup_expr="lte",
                                              label=_("Periods starting on or before"))

    class Meta:
        model = CommissionStatement
        fields = ["rep", "plan", "status", "period", "period_kind", "period_after",
                  "period_before"]
