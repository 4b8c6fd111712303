"""Forms of the SLA settings (policies, working hours, holidays) and the rules they share with
the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.customers.serializers import staff_users
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy


def policy_errors(*, pk, priority, customer_tier, active, first_response_minutes,
                  resolution_minutes) -> dict[str, str]:
    """What is wrong with a policy, by field: a resolution target before the first response,
    or a second active policy for the same priority and tier."""
    errors = {}
    if (first_response_minutes is not None and resolution_minutes is not None
            and resolution_minutes < first_response_minutes):
        errors["resolution_minutes"] = _("The resolution target cannot come before the first "
                                         "response target.")
    if active and priority:
        clash = SlaPolicy.objects.filter(active=True, priority=priority,
                                         customer_tier=customer_tier or "").exclude(pk=pk)
        if clash.exists():
            errors["priority"] = _("An active policy for this priority and tier already "
                                   "exists: deactivate it first.")
    return errors


def period_errors(*, pk, weekday, start, end) -> dict[str, str]:
    """What is wrong with a working period: ending before it starts, or overlapping another
    period of the same day."""
    if start is None or end is None:
        return {}
    if end <= start:
        return {"end": _("The period must end after it starts.")}
    if weekday is not None and BusinessHours.objects.filter(
            weekday=weekday, start__lt=end, end__gt=start).exclude(pk=pk).exists():
        return {"start": _("This period overlaps another period of the same day.")}
    return {}


class SlaPolicyForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["name", "priority", "customer_tier", "first_response_minutes",
                  "resolution_minutes", "warn_before_minutes", "escalate_to", "active"]
        help_texts = {
            "customer_tier": _("Leave empty for any tier; a tier's own policy wins."),
            "escalate_to": _("On a breach the team lead is always told; choose someone to "
                             "also hand the ticket to."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["escalate_to"].queryset = staff_users().distinct().order_by("email")
        self.fields["customer_tier"].choices = [("", _("Any tier")),
                                                *self.fields["customer_tier"].choices[1:]]
        self.style()

    def clean(self):
        data = super().clean()
        for name, error in policy_errors(
                pk=self.instance.pk, priority=data.get("priority"),
                customer_tier=data.get("customer_tier"), active=data.get("active"),
                first_response_minutes=data.get("first_response_minutes"),
                resolution_minutes=data.get("resolution_minutes")).items():
            self.add_error(name, error)
        return data


class BusinessHoursForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        widgets = {"start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self):
        data = super().clean()
        for name, error in period_errors(pk=self.instance.pk, weekday=data.get("weekday"),
                                         start=data.get("start"), end=data.get("end")).items():
            self.add_error(name, error)
        return data


class HolidayForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "working_day"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        error_messages = {"date": {"unique": _("This date is already listed.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
