"""Create and edit forms of the account and contact pages, styled for Bootstrap."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from core.roles import STAFF_ROLES
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag, Team
from crm_apps.customers.visibility import visible
from crm_apps.customization.formfields import CustomizableFormMixin


def active_staff():
    """The people a record can be given to: active staff of this tenant."""
    return (get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
            .distinct().order_by("first_name", "last_name", "email"))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class CustomerRecordForm(CustomizableFormMixin, BootstrapFormMixin, forms.ModelForm):
    """What both forms share: owner (active staff, the current user by default), team, tags,
    classes, the custom fields, no field hidden from the user, and Bootstrap classes on every
    widget."""

    owner = StaffChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(),
                             required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = active_staff()
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["tags"].queryset = Tag.objects.order_by("name")
        self.fields["classes"].queryset = CustomerClass.objects.order_by("name")
        self.fields["owner"].empty_label = _("Nobody")
        self.fields["team"].empty_label = _("No team")
        for field in self.fields.values():
            blank_first = list(getattr(field, "choices", []))[:1] == [("", "---------")]
            if isinstance(field, forms.TypedChoiceField) and blank_first:
                field.choices = [("", _("Not set")), *field.choices[1:]]
        for name in ("tags", "classes"):
            self.fields[name].widget = forms.CheckboxSelectMultiple(
                choices=self.fields[name].choices)
        self.add_custom_fields(user)
        self.style()

    def save(self, commit=True):
        self.instance.custom = self.merged_custom()
        return super().save(commit)


class AccountForm(CustomerRecordForm):
    class Meta:
        model = Account
        fields = ["name", "industry", "size", "tier", "website", "phone", "street", "city",
                  "region", "postal_code", "country", "territory", "parent", "annual_revenue",
                  "owner", "team", "tags", "classes"]
        widgets = {"website": forms.URLInput(attrs={"placeholder": "https://"}),
                   "annual_revenue": forms.NumberInput(attrs={"step": "0.01", "min": "0"})}
        error_messages = {"name": {"required": _("Give the account a name.")},
                          "website": {"invalid": _("Enter a full web address, such as "
                                                   "https://example.com.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = visible(Account.objects.all(), self.user).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        if "parent" in self.fields:  # absent when hidden from the user
            self.fields["parent"].queryset = parents
            self.fields["parent"].empty_label = _("None")

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_annual_revenue(self):
        revenue = self.cleaned_data["annual_revenue"]
        if revenue is not None and revenue < 0:
            raise forms.ValidationError(_("Annual revenue cannot be negative."))
        return revenue

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use a two-letter country code, such as CN or US."))
        return country


class ContactForm(CustomerRecordForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "title", "account", "email", "phone", "mobile",
                  "lifecycle_stage", "owner", "team", "tags", "classes"]
        error_messages = {"email": {"invalid": _("Enter a valid e-mail address, such as "
                                                 "name@example.com.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account" in self.fields:  # absent when hidden from the user
            self.fields["account"].queryset = visible(Account.objects.all(),
                                                      self.user).order_by("name")
            self.fields["account"].empty_label = _("No account")

    def clean(self):
        data = super().clean()
        names = (data.get("first_name", "").strip(), data.get("last_name", "").strip())
        # A hidden e-mail is not in the form: the stored one still identifies the contact.
        email = data.get("email") if "email" in self.fields else self.instance.email
        if not any(names) and not email and "email" not in self.errors:
            raise forms.ValidationError(
                _("Enter a name or an e-mail address so the contact can be found again."))
        return data
