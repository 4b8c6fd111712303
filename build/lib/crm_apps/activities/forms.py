"""Page forms of activities, one per kind, with Bootstrap classes and clear messages."""

import datetime

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import BootstrapFormMixin
from crm_apps.activities.models import Activity
from crm_apps.customers.forms import StaffChoiceField, active_staff
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.views import person_name
from crm_apps.customers.visibility import visible

Kind = Activity.Kind
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


class MomentInput(forms.DateTimeInput):
    """A date and time picker; values are read in the active (tenant) time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=MOMENT_FORMAT)


def moment_field(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, widget=MomentInput(),
        input_formats=[MOMENT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, such as 2030-01-31 14:30.")})


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = person_name(obj)
        return f"{name} ({obj.account.name})" if obj.account_id else name


class ContactsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = person_name(obj)
        return f"{name} <{obj.email}>" if obj.email else name


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class ActivityForm(BootstrapFormMixin, forms.ModelForm):
    """What every kind shares: subject, details and the account or contact it is about (only
    records the user may see)."""

    kind = None
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none(),
                                     required=False)
    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(),
                                 required=False)
    lead = forms.ModelChoiceField(label=pgettext_lazy("sales record", "Lead"), queryset=None,
                                  required=False)

    class Meta:
        model = Activity
        fields = ["subject", "account", "contact", "lead", "body"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["subject"].error_messages["required"] = _("Give it a subject.")
        self.fields["body"].widget = forms.Textarea(attrs={"rows": 4})
        self.fields["account"].queryset = visible(Account.objects.all(), user).order_by("name")
        self.fields["contact"].queryset = (visible(Contact.objects.all(), user)
                                           .select_related("account")
                                           .order_by("last_name", "first_name", "email"))
        # Leads are the sales app's, named through the registry (activities sits below sales).
        self.fields["lead"].queryset = visible(
            apps.get_model("sales", "Lead").objects.all(), user).order_by(
            "last_name", "first_name", "company", "pk")
        self.fields["account"].empty_label = _("No account")
        self.fields["contact"].empty_label = _("No contact")
        self.fields["lead"].empty_label = _("No lead")
        for name in ("account", "contact", "lead"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "Choose one of the records you can see.")
        self.style()


    def clean(self):
        data = super().clean()
        account, contact, lead = data.get("account"), data.get("contact"), data.get("lead")
        if (account and contact and contact.account_id
                and contact.account_id != account.pk):
            self.add_error("contact", _("This contact belongs to another account."))
        if (not account and not contact and not lead
                and not {"account", "contact", "lead"} & set(self.errors)
                and not self.may_stand_alone()):
            raise forms.ValidationError(_("Link it to an account, a contact or a lead."))
        return data

    def may_stand_alone(self) -> bool:
        return False

    def save(self, commit=True):
        activity = super().save(commit=False)
        activity.kind = self.kind
        if activity.pk is None:
            activity.owner = self.user
        if commit:
            activity.save()
            self.save_m2m()
        return activity


class TaskForm(ActivityForm):
    kind = Kind.TASK
    due = moment_field(_("Due"), required=True)
    reminder_at = moment_field(_("Remind me at"), help_text=_(
        "A notification (and an e-mail, if chosen in your notification settings) goes to "
        "the assignee at this time."))
    assignee = StaffChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none())

    class Meta(ActivityForm.Meta):
        fields = ["subject", "due", "priority", "assignee", "reminder_at", "account", "contact",
                  "lead", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due"].error_messages["required"] = _("Give the task a due date.")
        self.fields["assignee"].queryset = active_staff()
        self.fields["assignee"].error_messages["invalid_choice"] = _(
            "Choose an active member of staff.")
        if not self.instance.pk:
            self.fields["assignee"].initial = self.user.pk
            self.fields["priority"].initial = Activity.Priority.NORMAL
        self.fields["priority"].choices = Activity.Priority.choices
        self.fields["priority"].required = True
        self.style()

    def may_stand_alone(self):
        # A task of one's own needs no record; one given to someone else says what it is for.
        return self.cleaned_data.get("assignee") in (None, self.user)

    def clean(self):
        data = super().clean()
        due, reminder = data.get("due"), data.get("reminder_at")
        if due and reminder and reminder > due:
            self.add_error("reminder_at", _("Set the reminder before the task is due."))
        return data

    def save(self, commit=True):
        if "reminder_at" in self.changed_data:
            self.instance.reminded = False  # a new reminder time is reminded again
        return super().save(commit)


class CallForm(ActivityForm):
    kind = Kind.CALL
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=24 * 60,
        error_messages={"min_value": _("Enter a number of minutes, 0 or more."),
                        "max_value": _("A call lasts at most 1,440 minutes (a day)."),
                        "invalid": _("Enter a whole number of minutes.")})

    class Meta(ActivityForm.Meta):
        fields = ["subject", "direction", "outcome", "account", "contact", "lead", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = Activity.Direction.choices
        self.fields["direction"].required = True
        self.fields["direction"].error_messages["required"] = _(
            "Say whether you called or were called.")
        if not self.instance.pk:
            self.fields["direction"].initial = Activity.Direction.OUTBOUND
        else:
            self.fields["duration_minutes"].initial = self.instance.duration_minutes
        self.order_fields(["subject", "direction", "duration_minutes", "outcome"])
        self.style()

    def save(self, commit=True):
        minutes = self.cleaned_data.get("duration_minutes")
        self.instance.duration_seconds = None if minutes is None else minutes * 60
        return super().save(commit)


class MeetingForm(ActivityForm):
    kind = Kind.MEETING
    start = moment_field(_("Starts"), required=True)
    end = moment_field(_("Ends"), required=True)
    attendees = StaffMultipleChoiceField(label=_("Staff attendees"),
                                         queryset=get_user_model().objects.none(),
                                         required=False, widget=forms.CheckboxSelectMultiple)
    contact_attendees = ContactsChoiceField(
        label=_("Contact attendees"), queryset=Contact.objects.none(), required=False,
        help_text=_("Hold Ctrl (or ⌘) to choose more than one."))

    class Meta(ActivityForm.Meta):
        fields = ["subject", "start", "end", "place", "attendees", "contact_attendees",
                  "account", "contact", "lead", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].error_messages["required"] = _("Give the meeting a start.")
        self.fields["end"].error_messages["required"] = _("Give the meeting an end.")
        self.fields["attendees"].queryset = active_staff()
        self.fields["contact_attendees"].queryset = self.fields["contact"].queryset
        self.fields["contact_attendees"].widget.attrs["size"] = 5
        for name in ("attendees", "contact_attendees"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "Choose only people you can see.")
        self.style()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The meeting must end after it starts."))
        return data


class NoteForm(ActivityForm):
    kind = Kind.NOTE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["rows"] = 8


class EmailLogForm(ActivityForm):
    """An e-mail exchanged outside the CRM, recorded by hand (usually one that came in)."""

    kind = Kind.EMAIL
    email_from = forms.EmailField(label=_("From"), error_messages={
        "required": _("Give the sender's address."),
        "invalid": _("Enter a valid e-mail address, such as name@example.com.")})
    email_to = forms.CharField(label=_("To"), help_text=_("One or more addresses, separated "
                                                          "by commas."),
                               error_messages={"required": _("Give at least one recipient.")})
    sent_at = moment_field(_("Sent"), required=True)

    class Meta(ActivityForm.Meta):
        fields = ["subject", "direction", "sent_at", "email_from", "email_to", "account",
                  "contact", "lead", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = Activity.Direction.choices
        self.fields["direction"].required = True
        self.fields["body"].label = _("Message")
        self.fields["body"].widget.attrs["rows"] = 8
        if self.instance.pk:
            self.initial["email_to"] = ", ".join(self.instance.email_to)
        else:
            self.fields["direction"].initial = Activity.Direction.INBOUND
            self.fields["sent_at"].initial = timezone.now().replace(second=0, microsecond=0)
            self.fields["email_to"].initial = self.user.email
        self.style()

    def clean_email_to(self):
        addresses = [part.strip() for part in self.cleaned_data["email_to"].replace(";", ",")
                     .split(",") if part.strip()]
        check = forms.EmailField()
        bad = []
        for address in addresses:
            try:
                check.clean(address)
            except forms.ValidationError:
                bad.append(address)
        if bad:
            raise forms.ValidationError(_("Not an e-mail address: %(bad)s") % {
                "bad": ", ".join(bad)})
        if not addresses:
            raise forms.ValidationError(_("Give at least one recipient."))
        if len(addresses) > 50:
            raise forms.ValidationError(_("Give at most 50 recipients."))
        return addresses

    def clean_sent_at(self):
        sent = self.cleaned_data["sent_at"]
        if sent and sent > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("An e-mail cannot have been sent in the future."))
        return sent


class EmailComposeForm(BootstrapFormMixin, forms.Form):
    """A one-to-one message to a contact, sent from the CRM."""

    subject = forms.CharField(label=_("Subject"), max_length=200, error_messages={
        "required": _("Give the e-mail a subject.")})
    body = forms.CharField(label=_("Message"), max_length=50_000,
                           widget=forms.Textarea(attrs={"rows": 10}),
                           error_messages={"required": _("Write a message.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


FORMS = {Kind.TASK: TaskForm, Kind.CALL: CallForm, Kind.MEETING: MeetingForm,
         Kind.NOTE: NoteForm, Kind.EMAIL: EmailLogForm}
