"""Create, edit and convert forms of the lead pages, styled for Bootstrap."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.customers.forms import StaffChoiceField, active_staff
from crm_apps.customers.models import Account, Team
from crm_apps.customers.visibility import visible
from crm_apps.customization.formfields import CustomizableFormMixin
from crm_apps.sales.models import Lead, Pipeline, Stage

FORM_STATUSES = [(value, label) for value, label in Lead.Status.choices
                 if value != Lead.Status.CONVERTED]


class LeadForm(CustomizableFormMixin, BootstrapFormMixin, forms.ModelForm):
    """A lead; left without an owner, the assignment rules (or else the creator) own it."""

    owner = StaffChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(),
                             required=False,
                             help_text=_("Leave empty to let the assignment rules choose."))
    status = forms.ChoiceField(label=_("Status"), choices=FORM_STATUSES)

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "company", "title", "email", "phone", "website",
                  "industry", "country", "region", "territory", "source", "campaign", "status",
                  "disqualified_reason", "notes", "owner", "team"]
        widgets = {"website": forms.URLInput(attrs={"placeholder": "https://"}),
                   "notes": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"website": {"invalid": _("Enter a full web address, such as "
                                                   "https://example.com.")}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = active_staff()
        self.fields["owner"].empty_label = _("Assign by rules")
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["team"].empty_label = _("No team")
        self.add_custom_fields(user)
        self.style()

    def clean_country(self):
        value = (self.cleaned_data.get("country") or "").strip()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Use a two-letter ISO 3166 code, such as CN."))
        return value.upper()

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("first_name", "last_name", "company", "email")):
            raise forms.ValidationError(_("Give the lead a name, a company or an e-mail "
                                          "address."))
        if data.get("status") == Lead.Status.DISQUALIFIED and not (
                data.get("disqualified_reason") or "").strip():
            self.add_error("disqualified_reason", _("Say why the lead is disqualified."))
        elif data.get("status") and data.get("status") != Lead.Status.DISQUALIFIED:
            data["disqualified_reason"] = ""
        return data

    def save(self, commit=True):
        self.instance.custom = self.merged_custom()
        return super().save(commit)


class ConvertForm(BootstrapFormMixin, forms.Form):
    """The opportunity's details and, optionally, an existing account to attach to."""

    account = forms.ModelChoiceField(label=_("Existing account"), required=False,
                                     queryset=Account.objects.none(),
                                     help_text=_("Leave empty to find one by website or "
                                                 "company name, or create one."))
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200,
                                       required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2,
                                min_value=0, required=False)
    expected_close = forms.DateField(label=_("Expected close date"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), required=False,
                                      queryset=Pipeline.objects.all())
    stage = forms.ModelChoiceField(label=_("Stage"), required=False,
                                   queryset=Stage.objects.filter(outcome=Stage.Outcome.OPEN),
                                   help_text=_("Leave empty for the pipeline's first stage."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["pipeline"].empty_label = _("Default pipeline")
        self.fields["stage"].empty_label = _("First open stage")
        self.style()
