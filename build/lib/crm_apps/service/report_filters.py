"""Filters of the service reports (pages and API): a month or quarter or a date range, a team."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Team
from crm_apps.forecast import periods
from crm_apps.service.models import SatisfactionSurvey, Ticket


class PeriodField(forms.CharField):
    """"2026-11" for a month or "2026-Q4" for a quarter, cleaned to a ``periods.Period``."""

    default_error_messages = {"invalid": _('Give a month such as "2026-11" or a quarter such '
                                           'as "2026-Q4".')}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return periods.parse(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{self.field_name}__date__gte": value.start,
                                  f"{self.field_name}__date__lt": value.end})


DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
SELECT = forms.Select(attrs={"class": "form-select"})


class ReportFilter(django_filters.FilterSet):
    """Dates are days of the tenant's time zone (the request runs in it)."""

    date_field = ""

    period = PeriodFilter(label=_("Month or quarter"), widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "2026-11", "inputmode": "text"}))
    since = django_filters.DateFilter(lookup_expr="date__gte", label=_("From"),
                                      widget=DATE_INPUT)
    until = django_filters.DateFilter(lookup_expr="date__lte", label=_("Until"),
                                      widget=DATE_INPUT)
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Team"),
                                            empty_label=_("All teams"), widget=SELECT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("period", "since", "until"):
            self.filters[name].field_name = self.date_field


def surveyed_agents():
    """The people surveys were credited to: the agent list of the report."""
    return get_user_model().objects.filter(
        pk__in=SatisfactionSurvey.objects.values("agent_id")).order_by("first_name", "email")


class CsatFilter(ReportFilter):
    """Surveys by the day they were first answered."""

    date_field = "answered_at"
    agent = django_filters.ModelChoiceFilter(queryset=lambda request: surveyed_agents(),
                                             label=_("Agent"), empty_label=_("All agents"),
                                             widget=SELECT)

    class Meta:
        model = SatisfactionSurvey
        fields = ["period", "since", "until", "team", "agent"]


class ComplaintFilter(ReportFilter):
    """Complaints by the day they were opened."""

    date_field = "created"
    severity = django_filters.ChoiceFilter(choices=Ticket.Severity.choices, label=_("Severity"),
                                           empty_label=_("Any severity"), widget=SELECT)

    class Meta:
        model = Ticket
        fields = ["period", "since", "until", "team", "severity"]
