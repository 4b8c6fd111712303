"""API representations of leads and of the rules that assign and score them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm_apps.activities.models import Activity
from crm_apps.customers.models import Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customization.drf import CustomizableSerializerMixin, CustomValuesField
from crm_apps.sales import prediction
from crm_apps.sales.models import ActivityPoints, AssignmentRule, Lead, ScoringRule

WRITABLE_STATUSES = [Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED,
                     Lead.Status.DISQUALIFIED]


def validate_country_code(value: str) -> str:
    if value and (len(value) != 2 or not value.isalpha()):
        raise serializers.ValidationError("Use a two-letter ISO 3166 code, such as CN.")
    return value.upper()


class ScoreFactorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text='The lead field behind the factor ("source", '
                                            '"title", "custom.<code>", "activities"...).')
    label = serializers.CharField(help_text="The lead's value, in words.")
    effect = serializers.FloatField(
        help_text="Change in log-odds against an average closed lead; positive raises it.")


class LeadSerializer(CustomizableSerializerMixin, serializers.ModelSerializer):
    """A lead. Without an owner, the tenant's assignment rules choose one (else the creator).
    ``status`` cannot be set to "converted" here: use the convert action."""

    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(), required=False,
                                               allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    status = serializers.ChoiceField(choices=WRITABLE_STATUSES, required=False)
    custom = CustomValuesField()
    name = serializers.CharField(source="__str__", read_only=True)
    score_factors = serializers.SerializerMethodField(
        help_text="What moves the predicted score most, largest first: empty without an "
                  "active model, null in lists.")

    class Meta:
        model = Lead
        fields = ["id", "name", "first_name", "last_name", "company", "title", "email", "phone",
                  "website", "industry", "country", "region", "territory", "source",
                  "campaign", "status", "disqualified_reason", "notes", "score",
                  "predicted_score", "converted_at", "account", "contact", "owner", "team",
                  "custom", "created", "updated", "score_factors"]
        read_only_fields = ["score", "predicted_score", "converted_at", "account", "contact",
                            "created", "updated"]

    @extend_schema_field(ScoreFactorSerializer(many=True, allow_null=True))
    def get_score_factors(self, lead):
        if self.parent is not None:  # a row of a list: the factors cost queries per lead
            return None
        request = self.context.get("request")
        return prediction.explain(lead, getattr(request, "user", None))

    def validate_country(self, value):
        return validate_country_code(value)

    def validate(self, attrs):
        current = self.instance
        if current is not None and current.status == Lead.Status.CONVERTED:
            raise serializers.ValidationError(
                {"status": ["A converted lead cannot be changed."]})
        first = attrs.get("first_name", getattr(current, "first_name", ""))
        last = attrs.get("last_name", getattr(current, "last_name", ""))
        email = attrs.get("email", getattr(current, "email", ""))
        company = attrs.get("company", getattr(current, "company", ""))
        if not (first or last or email or company):
            raise serializers.ValidationError(
                "Give the lead a name, a company or an e-mail address.")
        status = attrs.get("status", getattr(current, "status", Lead.Status.NEW))
        reason = attrs.get("disqualified_reason", getattr(current, "disqualified_reason", ""))
        if status == Lead.Status.DISQUALIFIED and not (reason or "").strip():
            raise serializers.ValidationError(
                {"disqualified_reason": ["Say why the lead is disqualified."]})
        if status != Lead.Status.DISQUALIFIED and "status" in attrs:
            attrs["disqualified_reason"] = ""  # a requalified lead drops the old reason
        return attrs


class DisqualifySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ConvertSerializer(serializers.Serializer):
    """What the opportunity gets; every field is optional."""

    account = serializers.IntegerField(required=False, allow_null=True,
                                       help_text="An existing account to attach to.")
    opportunity_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0,
                                      required=False, allow_null=True)
    expected_close = serializers.DateField(required=False, allow_null=True)
    pipeline = serializers.IntegerField(required=False, allow_null=True)
    stage = serializers.IntegerField(required=False, allow_null=True)


class ConvertedRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created = serializers.BooleanField(help_text="True if new, false if attached.")


class ConversionResultSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    status = serializers.CharField()
    account = ConvertedRecordSerializer(allow_null=True)
    contact = ConvertedRecordSerializer()
    opportunity = ConvertedRecordSerializer()
    created = serializers.ListField(child=serializers.CharField())
    attached = serializers.ListField(child=serializers.CharField())


class AssignmentRuleSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    user = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(), required=False,
                                              allow_null=True)
    source = serializers.ChoiceField(choices=[("", "any"), *Lead.Source.choices],
                                     required=False)

    class Meta:
        model = AssignmentRule
        fields = ["id", "name", "position", "active", "source", "country", "region", "industry",
                  "territory", "method", "team", "user", "last_assigned"]
        read_only_fields = ["last_assigned"]

    def validate_country(self, value):
        return validate_country_code(value)

    def validate(self, attrs):
        method = attrs.get("method", getattr(self.instance, "method", None))
        team = attrs.get("team", getattr(self.instance, "team", None))
        user = attrs.get("user", getattr(self.instance, "user", None))
        if method == AssignmentRule.Method.ROUND_ROBIN and team is None:
            raise serializers.ValidationError({"team": ["Round robin needs a team."]})
        if method == AssignmentRule.Method.TERRITORY_OWNER and user is None:
            raise serializers.ValidationError({"user": ["Name the territory's owner."]})
        return attrs


class ScoringRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringRule
        fields = ["id", "name", "field", "operator", "value", "points", "active"]

    def validate(self, attrs):
        operator = attrs.get("operator", getattr(self.instance, "operator", None))
        value = attrs.get("value", getattr(self.instance, "value", ""))
        if operator != ScoringRule.Operator.IS_SET and not (value or "").strip():
            raise serializers.ValidationError({"value": ["Give the value to compare with."]})
        return attrs


class ActivityPointsSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)

    class Meta:
        model = ActivityPoints
        fields = ["id", "kind", "points"]

