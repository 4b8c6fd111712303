"""The create and edit form of an opportunity: stages of the chosen pipeline only, an amount
of zero or more, a three-letter currency, the won/lost rules and custom fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible
from crm_apps.customization.formfields import CustomizableFormMixin
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from crm_apps.sales.pipeline_services import apply_stage_rules, default_pipeline


class OpportunityForm(CustomizableFormMixin, BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["name", "account", "contact", "pipeline", "stage", "amount", "currency",
                  "expected_close", "forecast_category", "lost_reason", "owner", "team"]
        widgets = {"expected_close": forms.DateInput(attrs={"type": "date"},
                                                     format="%Y-%m-%d"),
                   "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0",
                                                      "inputmode": "decimal"}),
                   "currency": forms.TextInput(attrs={"maxlength": 3,
                                                      "autocapitalize": "characters"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = visible(Contact.objects.all(), user).order_by(
            "last_name", "first_name")
        self.fields["owner"].queryset = staff_users().distinct().order_by("email")
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["amount"].min_value = 0
        self.fields["amount"].validators.append(_not_negative)
        pipeline = self._chosen_pipeline()
        self.fields["pipeline"].empty_label = None
        if pipeline is not None:
            self.initial.setdefault("pipeline", pipeline.pk)
            if not self.instance.pk:
                self.initial.setdefault("currency", pipeline.currency)
        # Only the stages of the chosen pipeline; board.js swaps them when it changes.
        self.fields["stage"].queryset = Stage.objects.filter(pipeline=pipeline)
        self.fields["stage"].empty_label = None
        self.fields["stage"].widget.attrs["data-stages-of"] = "id_pipeline"
        self.pipeline_stages = {}
        for stage in Stage.objects.order_by("pipeline", "position", "id"):
            self.pipeline_stages.setdefault(str(stage.pipeline_id), []).append(
                {"id": stage.pk, "name": stage.display_name})
        self.add_custom_fields(user)
        self.style()

    def _chosen_pipeline(self) -> Pipeline | None:
        raw = self.data.get("pipeline") if self.is_bound else None
        if raw:
            try:
                return Pipeline.objects.filter(pk=int(raw)).first()
            except (TypeError, ValueError):
                return None
        if self.instance.pk:
            return self.instance.pipeline
        initial = self.initial.get("pipeline")
        if initial:
            return Pipeline.objects.filter(pk=getattr(initial, "pk", initial)).first()
        return default_pipeline()

    def clean_currency(self):
        value = (self.cleaned_data.get("currency") or "").strip()
        if len(value) != 3 or not value.isalpha() or not value.isascii():
            raise ValidationError(_("Use a three-letter ISO 4217 code, such as CNY."))
        return value.upper()

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        if pipeline is None or stage is None:
            return cleaned
        before = Opportunity.objects.get(pk=self.instance.pk) if self.instance.pk else None
        scratch = Opportunity(
            pipeline=pipeline,
            stage=before.stage if before else Stage(outcome=Stage.Outcome.OPEN),
            closed_at=before.closed_at if before else None,
            lost_reason=before.lost_reason if before else "",
            forecast_category=cleaned.get("forecast_category") or "pipeline")
        try:
            apply_stage_rules(scratch, stage, cleaned.get("lost_reason", ""))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return cleaned
        self.instance.closed_at = scratch.closed_at
        cleaned["lost_reason"] = scratch.lost_reason
        cleaned["forecast_category"] = scratch.forecast_category
        return cleaned

    def save(self, commit=True):
        self.instance.custom = self.merged_custom()
        if not self.instance.pk:
            last = (Opportunity.objects.filter(stage=self.cleaned_data["stage"])
                    .order_by("-board_position").first())
            self.instance.board_position = (last.board_position + 1024.0) if last else 1024.0
        return super().save(commit)


def _not_negative(value):
    if value is not None and value < 0:
        raise ValidationError(_("The amount cannot be negative."))
