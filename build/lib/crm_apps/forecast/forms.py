"""The territory form of the back office: criteria typed as comma-separated lists."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.forecast.models import Territory
from crm_apps.forecast.serializers import staff_users


class ListField(forms.CharField):
    """A comma-separated list in one text box; blanks and repeats dropped."""

    def __init__(self, *, upper=False, length=100, **kwargs):
        self.upper, self.length = upper, length
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate values with commas; leave empty for any."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        seen, items = set(), []
        for item in (part.strip() for part in (value or "").replace("，", ",").split(",")):
            item = item.upper() if self.upper else item
            if item and item.casefold() not in seen:
                if len(item) > self.length:
                    raise forms.ValidationError(
                        _("“%(value)s” is too long (at most %(length)d characters)."),
                        params={"value": item, "length": self.length})
                seen.add(item.casefold())
                items.append(item)
        return items


class CountryListField(ListField):
    def to_python(self, value):
        items = super().to_python(value)
        wrong = [item for item in items if len(item) != 2 or not item.isalpha()]
        if wrong:
            raise forms.ValidationError(_("Give two-letter ISO 3166 codes, such as CN: %(codes)s"),
                                        params={"codes": ", ".join(wrong)})
        return items


class TerritoryForm(BootstrapFormMixin, forms.ModelForm):
    regions = ListField(label=_("Regions"))
    countries = CountryListField(label=_("Countries"), upper=True, length=2)
    industries = ListField(label=_("Industries"))

    class Meta:
        model = Territory
        fields = ["name", "position", "regions", "countries", "industries", "reps", "manager"]
        widgets = {"reps": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reps"].queryset = staff_users().order_by("email")
        self.fields["manager"].queryset = staff_users().order_by("email")
        self.style()
