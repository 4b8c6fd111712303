"""The checkout's gateway form: a guest's e-mail or the portal login; accounts are opened in
the portal (its registration links the login to the customer's contact), not here."""

from oscar.apps.checkout import forms as oscar_forms
from oscar.apps.checkout.forms import *  # noqa: F403 - Oscar's fork pattern


class GatewayForm(oscar_forms.GatewayForm):
    CHOICES = tuple(choice for choice in oscar_forms.GatewayForm.CHOICES
                    if choice[0] != oscar_forms.GatewayForm.NEW)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options"].choices = self.CHOICES
