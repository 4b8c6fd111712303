"""API representation of SLA policies, working hours and holidays, with the settings' rules."""

from rest_framework import serializers

from crm_apps.customers.serializers import staff_users
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy
from crm_apps.service.sla_forms import period_errors, policy_errors


def _current(serializer, attrs: dict, name: str):
    """The value after this write: the sent one, else the stored one (PATCH)."""
    if name in attrs:
        return attrs[name]
    return getattr(serializer.instance, name, None)


class SlaPolicySerializer(serializers.ModelSerializer):
    escalate_to = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                                     required=False, allow_null=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "priority", "customer_tier", "first_response_minutes",
                  "resolution_minutes", "warn_before_minutes", "escalate_to", "active"]

    def validate(self, attrs):
        errors = policy_errors(
            pk=getattr(self.instance, "pk", None),
            priority=_current(self, attrs, "priority"),
            customer_tier=_current(self, attrs, "customer_tier"),
            active=attrs.get("active", getattr(self.instance, "active", True)),
            first_response_minutes=_current(self, attrs, "first_response_minutes"),
            resolution_minutes=_current(self, attrs, "resolution_minutes"))
        if errors:
            raise serializers.ValidationError({name: [error] for name, error in errors.items()})
        return attrs


class BusinessHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessHours
        fields = ["id", "weekday", "start", "end"]

    def validate(self, attrs):
        errors = period_errors(pk=getattr(self.instance, "pk", None),
                               weekday=_current(self, attrs, "weekday"),
                               start=_current(self, attrs, "start"),
                               end=_current(self, attrs, "end"))
        if errors:
            raise serializers.ValidationError({name: [error] for name, error in errors.items()})
        return attrs


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "name", "working_day"]
