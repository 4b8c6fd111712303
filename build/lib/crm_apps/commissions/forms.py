"""Page forms of commission plans (with formsets of tiers, category rates and members) and of
decisions on statements."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from core.forms import BootstrapFormMixin
from crm_apps.commissions.models import (
    CommissionPlan,
    CommissionTier,
    PlanCategoryRate,
    PlanMembership,
)
from crm_apps.commissions.plans import check_memberships
from crm_apps.contracts.forms import DateInput
from crm_apps.customers.forms import StaffChoiceField, active_staff

Category = get_model("catalogue", "Category")


PERCENT_RANGE = [MinValueValidator(0), MaxValueValidator(100)]


class StyledModelForm(BootstrapFormMixin, forms.ModelForm):
    """Bootstrap classes, and percentages kept within 0-100 with a plain message (rather than
    the database constraint's)."""

    percentages: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.percentages:
            self.fields[name].validators.extend(PERCENT_RANGE)
        self.style()


class PlanForm(StyledModelForm):
    class Meta:
        model = CommissionPlan
        fields = ["name", "name_zh_hans", "currency", "period_kind", "base_rate", "is_active"]

    percentages = ("base_rate",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Give the plan a name.")

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise forms.ValidationError(_("Give a three-letter ISO 4217 code, such as CNY."))
        return value


class TierForm(StyledModelForm):
    class Meta:
        model = CommissionTier
        fields = ["from_attainment", "rate"]

    percentages = ("rate",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_attainment"].validators.append(MinValueValidator(0))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class CategoryRateForm(StyledModelForm):
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())

    class Meta:
        model = PlanCategoryRate
        fields = ["category", "rate", "multiplier"]

    percentages = ("rate",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.order_by("path")
        self.fields["multiplier"].validators.append(MinValueValidator(0))

    def clean(self):
        cleaned = super().clean()
        if self.cleaned_data.get("DELETE") or not self.has_changed():
            return cleaned
        if (cleaned.get("rate") is None) == (cleaned.get("multiplier") is None):
            raise ValidationError(_("Give either a rate or a multiplier, not both."))
        return cleaned


class MembershipForm(StyledModelForm):
    rep = StaffChoiceField(label=_("Sales rep"), queryset=active_staff())

    class Meta:
        model = PlanMembership
        fields = ["rep", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("It cannot end before it starts."))
        return cleaned


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [form.instance for form in self.forms
                if form.has_changed() or form.instance.pk
                if not self.can_delete or not self._should_delete_form(form)]
        for membership in kept:
            membership.plan_id = self.instance.pk
        try:
            check_memberships([member for member in kept if member.rep_id])
        except ValidationError as error:
            raise ValidationError(error.messages) from None


TierFormSet = inlineformset_factory(CommissionPlan, CommissionTier, form=TierForm, extra=2,
                                    can_delete=True)
CategoryRateFormSet = inlineformset_factory(CommissionPlan, PlanCategoryRate,
                                            form=CategoryRateForm, extra=1, can_delete=True)
MembershipFormSetFactory = inlineformset_factory(
    CommissionPlan, PlanMembership, form=MembershipForm, formset=MembershipFormSet, extra=2,
    can_delete=True)


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
