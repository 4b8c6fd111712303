"""Forms of the operator console and the public sign-up page."""

from django import forms
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from core.zones import default_time_zone, zone_choices
from tenants.models import Plan, PlatformSettings
from tenants.slugs import validate_slug


class TenantCreateForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    slug = forms.CharField(label=_("Address"), max_length=40,
                           help_text=_("3-40 lowercase letters, digits or hyphens."))
    owner_email = forms.EmailField(label=_("Owner e-mail"))
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=Plan.objects.all(), required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False, choices=zone_choices, initial=default_time_zone,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("Where the company works: its pages and calendar count days there."),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")})

    def clean_slug(self):
        return validate_slug(self.cleaned_data["slug"])


class SignupForm(TenantCreateForm):
    plan = None
    time_zone = None
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)

    def clean_password(self):
        """Validate, then hash: the slow hash is part of checking the form, not of
        provisioning, so the new workspace is ready the moment it is created."""
        password = self.cleaned_data["password"]
        validate_password(password)
        return make_password(password)


class DeleteTenantForm(forms.Form):
    confirm_slug = forms.CharField(label=_("Type the address to confirm"), max_length=40)


class PlatformSettingsForm(forms.ModelForm):
    class Meta:
        model = PlatformSettings
        fields = ["signup_enabled", "signup_plan"]
