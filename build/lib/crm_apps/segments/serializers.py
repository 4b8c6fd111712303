"""API representation of segments: rules validated by crm_apps.segments.rules, members as
ids and names."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm_apps.segments.models import Segment
from crm_apps.segments.rules import FIELDS, OPERATORS, clean_rules


class SegmentRuleSerializer(serializers.Serializer):
    """How one rule looks in the schema; the rules module checks it (see RulesField)."""

    field = serializers.CharField(help_text="One of: " + ", ".join(FIELDS) + ".")
    op = serializers.CharField(help_text="One of: " + ", ".join(OPERATORS)
                               + " (each field takes some of them).")
    value = serializers.JSONField(required=False, allow_null=True,
                                  help_text="A name, code, number, date, list or null.")


@extend_schema_field(SegmentRuleSerializer(many=True))
class RulesField(serializers.JSONField):
    """The rule list as JSON, cleaned strictly: a 400 names the rule and what is wrong."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        try:
            return clean_rules(data)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class SegmentSerializer(serializers.ModelSerializer):
    rules = RulesField()

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "customer_label", "customer_label_zh", "rules",
                  "match", "is_active", "member_count", "computed_at", "created", "updated"]
        read_only_fields = ["member_count", "computed_at", "created", "updated"]


class SegmentMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="contact_id")
    name = serializers.CharField(source="contact.__str__")


class SegmentPreviewSerializer(serializers.Serializer):
    rules = RulesField()
    match = serializers.ChoiceField(choices=Segment.Match.choices, default=Segment.Match.ALL)


class SegmentPreviewResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Contacts matching now (figures as last "
                                               "measured).")
