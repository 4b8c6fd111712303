"""Forms of the portal's own accounts: set a password, register, and the profile."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from portal.models import PortalPreferences


class NewPasswordForm(forms.Form):
    """A new password typed twice and checked by the site's password validators."""

    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RegisterForm(NewPasswordForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)

    field_order = ["email", "first_name", "last_name", "password1", "password2"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class ConfirmPasswordForm(forms.Form):
    """Proves the person following a verification link is the one who registered."""

    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


class TelInput(forms.TextInput):
    input_type = "tel"


def language_field():
    return forms.ChoiceField(label=_("Language"), required=False,
                             choices=[("", _("Browser default")), *settings.LANGUAGES])


class LanguageForm(forms.Form):
    """What a login without a customer record may still choose."""

    language = language_field()


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False, widget=TelInput)
    language = language_field()
    email_on_reply = forms.BooleanField(
        label=PortalPreferences._meta.get_field("email_on_reply").verbose_name, required=False)
    email_on_status = forms.BooleanField(
        label=PortalPreferences._meta.get_field("email_on_status").verbose_name, required=False)
    email_on_order = forms.BooleanField(
        label=PortalPreferences._meta.get_field("email_on_order").verbose_name, required=False)
