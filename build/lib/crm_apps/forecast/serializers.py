"""API representations of territories, quotas and forecast numbers, with their validation."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.roles import STAFF_ROLES
from crm_apps.forecast.models import PeriodKind, Quota, Territory
from crm_apps.forecast.periods import is_period_start


def staff_users():
    return get_user_model().objects.filter(is_active=True,
                                           groups__name__in=STAFF_ROLES).distinct()


def _cleaned(values: list[str]) -> list[str]:
    seen, result = set(), []
    for value in (value.strip() for value in values):
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result


class TerritorySerializer(serializers.ModelSerializer):
    regions = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True), required=False)
    countries = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z]{2}$", error_messages={
            "invalid": _("Give two-letter ISO 3166 codes, such as CN.")}), required=False)
    industries = serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=True), required=False)
    reps = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                              queryset=staff_users())
    manager = serializers.PrimaryKeyRelatedField(allow_null=True, required=False,
                                                 queryset=staff_users())

    class Meta:
        model = Territory
        fields = ["id", "name", "position", "regions", "countries", "industries", "reps",
                  "manager"]

    def validate_regions(self, value):
        return _cleaned(value)

    def validate_industries(self, value):
        return _cleaned(value)

    def validate_countries(self, value):
        return _cleaned([code.upper() for code in value])


class QuotaSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(allow_null=True, required=False,
                                              queryset=staff_users())
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)

    class Meta:
        model = Quota
        fields = ["id", "user", "team", "period_kind", "period_start", "amount", "currency"]
        extra_kwargs = {"team": {"allow_null": True, "required": False}}
        # Uniqueness per owner and period is checked in validate(): the generated validators
        # would make both "user" and "team" required.
        validators = []

    def validate_currency(self, value):
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("Give an ISO 4217 code, such as CNY."))
        return value.upper()

    def validate(self, attrs):
        merged = {field: getattr(self.instance, field) for field in (
            "user", "team", "period_kind", "period_start")} if self.instance else {}
        merged.update(attrs)
        if bool(merged.get("user")) == bool(merged.get("team")):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give either a sales rep or a team, not both.")]})
        kind = merged.get("period_kind") or PeriodKind.MONTH
        start = merged.get("period_start")
        if start and not is_period_start(start, kind):
            message = (_("Give the first day of a quarter (1 January, April, July or October).")
                       if kind == PeriodKind.QUARTER else _("Give the first day of a month."))
            raise serializers.ValidationError({"period_start": [message]})
        owner = {"user": merged["user"]} if merged.get("user") else {"team": merged["team"]}
        clash = Quota.objects.filter(period_kind=kind, period_start=start, **owner)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"period_start": [_("There is already a quota for this period.")]})
        return attrs


class ForecastNumbersSerializer(serializers.Serializer):
    weighted_pipeline = serializers.DecimalField(max_digits=18, decimal_places=2)
    commit = serializers.DecimalField(max_digits=18, decimal_places=2)
    best_case = serializers.DecimalField(max_digits=18, decimal_places=2)
    closed_won = serializers.DecimalField(max_digits=18, decimal_places=2)
    quota = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    attainment = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True,
                                          help_text=_("Closed won / quota, e.g. 0.4500."))


class ForecastSerializer(ForecastNumbersSerializer):
    period = serializers.CharField(help_text=_('"2026-11" or "2026-Q4".'))
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text=_("The last day of the period."))
    scope = serializers.CharField(help_text=_('"rep:<id>", "team:<id>" or "tenant".'))


class HistoryRowSerializer(serializers.Serializer):
    taken_on = serializers.DateField()
    period = serializers.CharField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    weighted_pipeline = serializers.DecimalField(max_digits=18, decimal_places=2)
    commit = serializers.DecimalField(max_digits=18, decimal_places=2)
    best_case = serializers.DecimalField(max_digits=18, decimal_places=2)
    closed_won_then = serializers.DecimalField(max_digits=18, decimal_places=2)
    quota = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    closed_won = serializers.DecimalField(max_digits=18, decimal_places=2)
    commit_gap = serializers.DecimalField(max_digits=18, decimal_places=2)
    finished = serializers.BooleanField()


class ForecastHistorySerializer(serializers.Serializer):
    scope = serializers.CharField()
    results = HistoryRowSerializer(many=True)


class ReassignSerializer(serializers.Serializer):
    account = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("Only this account (default: all)."))


class ReassignResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
