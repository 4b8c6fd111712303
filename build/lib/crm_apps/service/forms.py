"""Forms of the desk pages: replies and notes, ticket controls, complaints, merge and link, new
tickets entered by staff, canned replies."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.activities.forms import ContactChoiceField
from crm_apps.customers.forms import StaffChoiceField, active_staff
from crm_apps.customers.models import Account, Contact, Tag, Team
from crm_apps.customers.visibility import visible
from crm_apps.service.models import CannedReply, Ticket, TicketMessage

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks their size and type."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.") % {"count": MAX_FILES})
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class StyledForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class MessageForm(StyledForm):
    """A public reply or an internal note, with attachments."""

    body = forms.CharField(label=_("Message"), max_length=50_000,
                           widget=forms.Textarea(attrs={"rows": 5}))
    visibility = forms.ChoiceField(label=_("Send as"), choices=TicketMessage.Visibility.choices,
                                   initial=TicketMessage.Visibility.PUBLIC,
                                   widget=forms.RadioSelect)
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].error_messages["required"] = _("Write a message first.")
        self.fields["visibility"].widget.attrs["class"] = "form-check-input"


class TicketControlsForm(StyledForm):
    """Status, priority, assignee, team and tags of a ticket."""

    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    owner = StaffChoiceField(label=_("Assignee"), queryset=active_staff(), required=False,
                             empty_label=_("Unassigned"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False, empty_label=_("No team"))
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.all(),
                                          required=False)


class ComplaintForm(StyledForm):
    """What a complaint records before it may close."""

    severity = forms.ChoiceField(label=_("Severity"),
                                 choices=[("", "—"), *Ticket.Severity.choices], required=False)
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=10_000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    corrective_action = forms.CharField(label=_("Corrective action"), required=False,
                                        max_length=10_000,
                                        widget=forms.Textarea(attrs={"rows": 3}))


class TicketNumberForm(StyledForm):
    """Another ticket, by its number (T-000042 or 42), for merge and link."""

    other = forms.CharField(label=_("Ticket number"), max_length=20)

    def clean_other(self):
        text = self.cleaned_data["other"].strip().upper()
        digits = text.removeprefix(Ticket.number_prefix).lstrip("0")
        if not digits.isdigit() or len(digits) > 9:
            raise forms.ValidationError(_("Enter a ticket number such as T-000042."))
        return f"{Ticket.number_prefix}{int(digits):06d}"


class NewTicketForm(StyledForm):
    """A ticket taken by phone or at the desk; only visible accounts and contacts are offered."""

    CHANNELS = [(Ticket.Channel.PHONE, _("Phone")),
                (Ticket.Channel.STAFF, _("Walk-in or entered by staff")),
                (Ticket.Channel.EMAIL, _("E-mail")),
                (Ticket.Channel.WEB_FORM, _("Web form"))]

    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, max_length=50_000,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNELS,
                                initial=Ticket.Channel.PHONE)
    kind = forms.ChoiceField(label=_("Type"), choices=Ticket.Kind.choices,
                             initial=Ticket.Kind.QUESTION)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices,
                                 initial=Ticket.Priority.NORMAL)
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none(),
                                     required=False, empty_label=_("No account"))
    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(),
                                 required=False, empty_label=_("No contact"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False, empty_label=_("By the assignment rules"))
    owner = StaffChoiceField(label=_("Assignee"), queryset=active_staff(), required=False,
                             empty_label=_("By the assignment rules"))
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = (visible(Contact.objects.all(), user)
                                           .select_related("account")
                                           .order_by("last_name", "first_name", "email"))
        self.fields["subject"].error_messages["required"] = _("Give the ticket a subject.")

    def clean(self):
        data = super().clean()
        contact, account = data.get("contact"), data.get("account")
        if contact and account and contact.account_id not in (None, account.pk):
            self.add_error("contact", _("This contact belongs to another account."))
        if contact and not account and contact.account_id:
            data["account"] = contact.account
        return data


class CannedReplyForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "body", "language"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
