"""Forms of the back office pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from realtime import kinds
from realtime.links import is_site_path


class AnnouncementForm(forms.Form):
    """What a tenant admin sends to all staff or all portal customers."""

    audience = forms.ChoiceField(
        label=_("Send to"), widget=forms.RadioSelect, initial=kinds.STAFF,
        choices=[(kinds.STAFF, _("All staff")), (kinds.CUSTOMERS, _("All portal customers"))])
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 6}))
    link = forms.CharField(
        label=_("Link"), max_length=500, required=False,
        help_text=_("Optional. A page on this site that the announcement opens, such as /shop/."))

    def clean_link(self):
        link = self.cleaned_data["link"].strip()
        if link and not is_site_path(link):
            raise forms.ValidationError(
                _("Use a path on this site that starts with “/”, such as /shop/."))
        return link
