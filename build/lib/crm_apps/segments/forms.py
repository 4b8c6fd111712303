"""The segment form of the back office: name, labels and match, plus a formset of rule rows
(field, operator, value) checked by the same rules module as the API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.segments import rules
from crm_apps.segments.models import Segment


class SegmentForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "customer_label", "customer_label_zh", "description", "match",
                  "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class RuleForm(BootstrapFormMixin, forms.Form):
    """One row of the rule builder; ``cleaned_data["rule"]`` is the normalised rule."""

    field = forms.ChoiceField(label=_("Field"), required=False, choices=[
        ("", "—"), *((code, spec.label) for code, spec in rules.FIELDS.items())])
    op = forms.ChoiceField(label=_("Operator"), required=False, choices=[
        ("", "—"), *rules.OPERATORS.items()])
    value = forms.CharField(label=_("Value"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self):
        data = super().clean()
        field, op = data.get("field"), data.get("op")
        if not field and not op and not data.get("value"):
            data["rule"] = None  # a blank row: ignored
            return data
        raw = {"field": field, "op": op,
               "value": rules.value_from_text(field, op, data.get("value", ""))}
        if rules.value_kind(field, op) == "none":
            raw["value"] = None
        try:
            data["rule"] = rules.clean_rule(raw)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return data


class BaseRuleFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.rules():
            raise ValidationError(_("Add at least one rule."))

    def rules(self) -> list[dict]:
        return [form.cleaned_data["rule"] for form in self.forms
                if form.cleaned_data.get("rule") and not self._should_delete_form(form)]


RuleFormSet = forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=2,
                                    max_num=rules.MAX_RULES, validate_max=True,
                                    absolute_max=rules.MAX_RULES + 10)


def rule_rows(segment: Segment | None) -> list[dict]:
    """The formset's initial rows for an existing segment."""
    if segment is None:
        return []
    return [{"field": rule.get("field"), "op": rule.get("op"),
             "value": rules.value_as_text(rule.get("value"))}
            for rule in segment.rules if isinstance(rule, dict)]
