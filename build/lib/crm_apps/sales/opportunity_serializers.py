"""API representations of pipelines, stages and opportunities, validated field by field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customization.drf import CustomizableSerializerMixin, CustomValuesField
from crm_apps.sales.models import Lead, Opportunity, Pipeline, Stage
from crm_apps.sales.pipeline_services import apply_stage_rules


class StageSerializer(serializers.ModelSerializer):
    """A column of a pipeline; probability is a whole percentage from 0 to 100."""

    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)

    class Meta:
        model = Stage
        fields = ["id", "pipeline", "name", "name_zh_hans", "position", "probability",
                  "outcome"]


class NestedStageSerializer(StageSerializer):
    class Meta(StageSerializer.Meta):
        fields = ["id", "name", "name_zh_hans", "position", "probability", "outcome"]


class PipelineSerializer(serializers.ModelSerializer):
    stages = NestedStageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "name_zh_hans", "position", "is_default", "currency", "stages"]

    def validate_currency(self, value):
        return validate_currency(value)

    def validate_is_default(self, value):
        if not value and self.instance is not None and self.instance.is_default:
            raise serializers.ValidationError("Make another pipeline the default instead.")
        return value

    def save(self, **kwargs):
        if self.validated_data.get("is_default"):  # only one default pipeline
            others = Pipeline.objects.filter(is_default=True)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            others.update(is_default=False)
        return super().save(**kwargs)


class StageOrderSerializer(serializers.Serializer):
    stages = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


def validate_currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha() or not value.isascii():
        raise serializers.ValidationError("Use a three-letter ISO 4217 code, such as CNY.")
    return value.upper()


class OpportunitySerializer(CustomizableSerializerMixin, serializers.ModelSerializer):
    """A deal. The stage must belong to the pipeline; a lost stage needs a lost_reason; a won
    or lost stage sets closed_at and the forecast category. Moves on the board use
    POST /opportunities/<id>/move/."""

    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(), required=False,
                                               allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False,
                                                 allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False,
                                                 allow_null=True)
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all(), required=False,
                                              allow_null=True)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(),
                                                  required=False)
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0,
                                      required=False)
    custom = CustomValuesField()

    class Meta:
        model = Opportunity
        fields = ["id", "name", "account", "contact", "lead", "pipeline", "stage", "amount",
                  "currency", "expected_close", "forecast_category", "lost_reason",
                  "closed_at", "board_position", "owner", "team", "custom", "created",
                  "updated"]
        read_only_fields = ["closed_at", "board_position", "created", "updated"]

    def validate_currency(self, value):
        return validate_currency(value)

    def validate(self, attrs):
        from crm_apps.sales.pipeline_services import default_pipeline

        instance = self.instance
        pipeline = attrs.get("pipeline") or (instance.pipeline if instance else None)
        stage = attrs.get("stage") or (instance.stage if instance else None)
        if pipeline is None:
            pipeline = stage.pipeline if stage is not None else default_pipeline()
            if pipeline is None:
                raise serializers.ValidationError({"pipeline": ["Create a pipeline first."]})
            attrs["pipeline"] = pipeline
        if stage is None or ("stage" not in attrs and stage.pipeline_id != pipeline.pk):
            stage = pipeline.stages.order_by("position", "id").first()
            if stage is None:
                raise serializers.ValidationError({"stage": ["The pipeline has no stages."]})
        if "currency" not in attrs and instance is None:
            attrs["currency"] = pipeline.currency
        # The won/lost rules run on a scratch copy, so closed_at and the category follow them.
        scratch = Opportunity(
            pipeline=pipeline,
            stage=instance.stage if instance else Stage(outcome=Stage.Outcome.OPEN),
            closed_at=getattr(instance, "closed_at", None),
            lost_reason=getattr(instance, "lost_reason", ""),
            forecast_category=attrs.get("forecast_category",
                                        getattr(instance, "forecast_category", "pipeline")))
        try:
            apply_stage_rules(scratch, stage, attrs.get("lost_reason", ""))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        attrs.update(stage=stage, closed_at=scratch.closed_at, lost_reason=scratch.lost_reason,
                     forecast_category=scratch.forecast_category)
        return attrs

    def create(self, validated_data):
        validated_data.setdefault("owner", self.context["request"].user)
        stage = validated_data["stage"]
        last = Opportunity.objects.filter(stage=stage).order_by("-board_position").first()
        validated_data["board_position"] = (last.board_position + 1024.0) if last else 1024.0
        return super().create(validated_data)


class MoveSerializer(serializers.Serializer):
    """Where to put a card: a stage, and before or after another card or at an index among
    the cards the caller sees (none of them: the column's end)."""

    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    before = serializers.IntegerField(required=False, allow_null=True)
    after = serializers.IntegerField(required=False, allow_null=True)
    position = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    lost_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        given = [name for name in ("before", "after", "position")
                 if attrs.get(name) is not None]
        if len(given) > 1:
            raise serializers.ValidationError(
                {given[1]: ["Give only one of before, after and position."]})
        return attrs
