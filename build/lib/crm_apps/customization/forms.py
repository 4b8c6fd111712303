"""Settings page forms of a tenant admin: a custom field definition, fields hidden from roles,
the workspace's general settings, the branding of its documents."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from core.zones import zone_choices
from crm_apps.customization import rules
from crm_apps.customization.models import Branding, CustomField


class CustomFieldForm(BootstrapFormMixin, forms.ModelForm):
    """A custom field; choices are typed as lines "value | English label | 中文标签"."""

    # Checked by rules.clean_definition, whose messages say what a code may hold.
    code = forms.CharField(label=_("Code"), max_length=40)
    choices_text = forms.CharField(
        label=_("Choices"), required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "gold | Gold | 金牌"}),
        help_text=_("For choice and multiple choice fields: one choice a line, as "
                    "“value | English label | Chinese label” (the labels may be left out)."))

    class Meta:
        model = CustomField
        fields = ["label", "label_zh_hans", "code", "type", "currency", "required",
                  "show_in_list", "position"]

    def __init__(self, *args, entity: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        if self.instance.pk:
            self.fields["choices_text"].initial = rules.choice_lines(self.instance.choices)
        else:
            self.fields["position"].initial = rules.next_position(entity)
        self.fields["currency"].widget.attrs.update(
            {"maxlength": 3, "placeholder": "CNY", "autocapitalize": "characters"})
        self.style()
        for name, field in self.fields.items():
            widget = field.widget
            if name == "code":
                widget.attrs.update({"pattern": "[a-z][a-z0-9_]*", "autocomplete": "off"})
                field.help_text = _("Lowercase letters, digits and underscores, such as "
                                    "contract_value; the key in the API, imports and exports.")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        raw = {"entity": self.entity, "code": data.get("code", ""), "type": data.get("type", ""),
               "currency": data.get("currency", ""),
               "choices": rules.parse_choice_lines(data.get("choices_text", ""))}
        try:
            cleaned = rules.clean_definition(raw, self.instance if self.instance.pk else None)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                target = {"choices": "choices_text", "entity": None}.get(name, name)
                for message in messages:
                    self.add_error(target, message)
            return data
        self.instance.entity = self.entity
        self.instance.choices = cleaned["choices"]
        data["currency"] = cleaned["currency"]
        return data

    def save(self, commit=True):
        old_code = CustomField.objects.filter(pk=self.instance.pk).values_list(
            "code", flat=True).first()
        definition = super().save(commit)
        if old_code:
            rules.follow_code_change(definition, old_code)
        return definition



class GeneralSettingsForm(BootstrapFormMixin, forms.Form):
    """The workspace's own settings: for now, the time zone its days are counted in."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=zone_choices,
        help_text=_("Dates and times on every page, “My day”, the calendar, the calendar feed "
                    "and times typed into forms follow this zone."),
        error_messages={"required": _("Choose a time zone."),
                        "invalid_choice": _("Choose a time zone from the list.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000
LOGO_FORMATS = {"PNG", "JPEG"}


class BrandingForm(BootstrapFormMixin, forms.ModelForm):
    """The tenant's brand colour, logo and the legal lines its documents carry."""

    class Meta:
        model = Branding
        fields = ["brand_color", "logo", "legal_name", "legal_name_zh_hans", "address",
                  "address_zh_hans", "tax_id", "contact_line"]
        widgets = {"brand_color": forms.TextInput(attrs={"type": "color"}),
                   "address": forms.Textarea(attrs={"rows": 3}),
                   "address_zh_hans": forms.Textarea(attrs={"rows": 3}),
                   "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"})}
        help_texts = {"logo": _("PNG or JPEG, at most 1 MB; shown at the top of quotes and "
                                "invoices and on the customer's quote page.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["brand_color"].widget.attrs["class"] = "form-control form-control-color"

    def clean_brand_color(self):
        return self.cleaned_data["brand_color"].lower()

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        image = getattr(logo, "image", None)  # set by ImageField on a new upload only
        if image is None:
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo is larger than 1 MB."), code="too_large")
        if image.format not in LOGO_FORMATS:
            raise ValidationError(_("Upload the logo as a PNG or JPEG image."),
                                  code="bad_format")
        if max(image.size) > LOGO_MAX_SIDE:
            raise ValidationError(_("The logo is larger than 4000 pixels on a side."),
                                  code="too_wide")
        # Named after what it is, whatever it was called: the page serves it by its name.
        logo.name = "logo.png" if image.format == "PNG" else "logo.jpg"
        return logo
