"""API representations of commission plans (with tiers, category rates and members) and of
statements with their lines."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model
from rest_framework import serializers

from crm_apps.commissions.models import (
    CommissionPlan,
    CommissionStatement,
    CommissionTier,
    PlanCategoryRate,
    PlanMembership,
    StatementLine,
)
from crm_apps.commissions.plans import check_memberships
from crm_apps.forecast.serializers import staff_users

Category = get_model("catalogue", "Category")
PERCENT = {"max_digits": 7, "decimal_places": 4, "min_value": 0, "max_value": 100}


class TierSerializer(serializers.ModelSerializer):
    from_attainment = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)
    rate = serializers.DecimalField(**PERCENT)

    class Meta:
        model = CommissionTier
        fields = ["from_attainment", "rate"]


class CategoryRateSerializer(serializers.ModelSerializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    rate = serializers.DecimalField(**PERCENT, allow_null=True, required=False)
    multiplier = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0,
                                          allow_null=True, required=False)

    class Meta:
        model = PlanCategoryRate
        fields = ["category", "rate", "multiplier"]

    def validate(self, attrs):
        if (attrs.get("rate") is None) == (attrs.get("multiplier") is None):
            raise serializers.ValidationError(
                _("Give the category either its own rate or a multiplier, not both."))
        return attrs


class MembershipSerializer(serializers.ModelSerializer):
    rep = serializers.PrimaryKeyRelatedField(queryset=staff_users())

    class Meta:
        model = PlanMembership
        fields = ["rep", "starts_on", "ends_on"]

    def validate(self, attrs):
        if attrs.get("ends_on") and attrs["ends_on"] < attrs["starts_on"]:
            raise serializers.ValidationError({"ends_on": [_("It cannot end before it starts.")]})
        return attrs


class CommissionPlanSerializer(serializers.ModelSerializer):
    """A plan with its tiers, category rates and members; a list sent replaces the plan's."""

    base_rate = serializers.DecimalField(**PERCENT)
    tiers = TierSerializer(many=True, required=False)
    category_rates = CategoryRateSerializer(many=True, required=False)
    memberships = MembershipSerializer(many=True, required=False)

    class Meta:
        model = CommissionPlan
        fields = ["id", "name", "name_zh_hans", "currency", "base_rate", "is_active",
                  "period_kind", "tiers", "category_rates", "memberships", "created",
                  "updated"]
        read_only_fields = ["created", "updated"]

    def validate_currency(self, value):
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("Give an ISO 4217 code, such as CNY."))
        return value

    def validate_tiers(self, value):
        starts = [tier["from_attainment"] for tier in value]
        if len(set(starts)) != len(starts):
            raise serializers.ValidationError(_("Two tiers start at the same attainment."))
        return value

    def validate_category_rates(self, value):
        categories = [rule["category"].pk for rule in value]
        if len(set(categories)) != len(categories):
            raise serializers.ValidationError(_("A category is listed twice."))
        return value

    def validate_memberships(self, value):
        plan_id = self.instance.pk if self.instance else None
        try:
            check_memberships([PlanMembership(plan_id=plan_id, **item) for item in value])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value

    @transaction.atomic
    def create(self, validated_data):
        nested = self._pop_nested(validated_data)
        plan = CommissionPlan.objects.create(**validated_data)
        self._replace_nested(plan, nested)
        return plan

    @transaction.atomic
    def update(self, instance, validated_data):
        nested = self._pop_nested(validated_data)
        plan = super().update(instance, validated_data)
        self._replace_nested(plan, nested)
        return plan

    @staticmethod
    def _pop_nested(validated_data) -> dict:
        return {name: validated_data.pop(name) for name in (
            "tiers", "category_rates", "memberships") if name in validated_data}

    @staticmethod
    def _replace_nested(plan, nested) -> None:
        models = {"tiers": CommissionTier, "category_rates": PlanCategoryRate,
                  "memberships": PlanMembership}
        for name, items in nested.items():
            getattr(plan, name).all().delete()
            for item in items:
                models[name].objects.create(plan=plan, **item)


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementLine
        fields = ["position", "order", "order_number", "order_date", "description", "category",
                  "quantity", "amount", "rate", "basis", "commission"]


class CommissionStatementSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period_code", read_only=True)
    rep_name = serializers.SerializerMethodField()

    class Meta:
        model = CommissionStatement
        fields = ["id", "rep", "rep_name", "plan", "plan_name", "period", "period_kind",
                  "period_start", "period_end", "currency", "status", "revenue", "commission",
                  "quota", "attainment", "computed_at", "submitted_at", "submitted_by",
                  "decided_at", "decided_by", "decision_comment"]
        read_only_fields = fields

    def get_rep_name(self, statement) -> str:
        return statement.rep.get_full_name() or statement.rep.email


class CommissionStatementDetailSerializer(CommissionStatementSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta(CommissionStatementSerializer.Meta):
        fields = [*CommissionStatementSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class GenerateSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text=_(
        "A day inside the periods to compute (default: today)."))


class GenerateResultSerializer(serializers.Serializer):
    computed = serializers.IntegerField()
    skipped = serializers.IntegerField()
