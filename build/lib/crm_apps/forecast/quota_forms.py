"""The quota form of the back office, validated by the same rules as the quotas API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.customers.models import Team
from crm_apps.forecast.models import PeriodKind, Quota
from crm_apps.forecast.serializers import QuotaSerializer, staff_users

FIELDS = ("user", "team", "period_kind", "period_start", "amount", "currency")


class QuotaForm(BootstrapFormMixin, forms.Form):
    """A plain form rather than a ModelForm: the model's check constraints would add their
    technical names as errors; the API's rules say the same in words."""

    user = forms.ModelChoiceField(label=_("Sales rep"), queryset=staff_users(), required=False,
                                  empty_label=_("No one (a team's quota)"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(),
                                  required=False, empty_label=_("No team (a rep's quota)"))
    period_kind = forms.ChoiceField(label=_("Period kind"), choices=PeriodKind.choices)
    period_start = forms.DateField(
        label=_("Period start"), help_text=_("The first day of the month or quarter."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2,
                                min_value=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY",
                               widget=forms.TextInput(attrs={"autocapitalize": "characters"}))

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance or Quota()
        if instance is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {**{name: getattr(instance, name) for name in FIELDS},
                                 **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_users().order_by("first_name", "last_name",
                                                              "email")
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.style()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The API's rules, word for word: a rep or a team (not both), the first day of the
        # period, one quota per owner and period, an ISO currency code.
        payload = {**data, "user": data["user"].pk if data.get("user") else None,
                   "team": data["team"].pk if data.get("team") else None}
        check = QuotaSerializer(self.instance if self.instance.pk else None, data=payload)
        if not check.is_valid():
            for name, problems in check.errors.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, str(problem))
            return data
        data["currency"] = check.validated_data["currency"]
        return data

    def save(self) -> Quota:
        for name in FIELDS:
            setattr(self.instance, name, self.cleaned_data[name])
        self.instance.save()
        return self.instance
