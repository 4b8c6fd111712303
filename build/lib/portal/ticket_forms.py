"""Forms of the customer's ticket pages: new ticket, reply, satisfaction, list filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from crm_apps.service.models import Ticket

# The types a customer may choose; complaints too, since they follow their own path.
CUSTOMER_KINDS = Ticket.Kind.choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; checked together by the desk's attachment rules."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class AttachmentsMixin:
    """Runs the desk's own limits (size, type, names) on the uploaded files; a refusal is a
    form error, so the typed text stays on the page."""

    too_large = False

    def clean_attachments(self):
        from crm_apps.service.attachments import AttachmentError, validate

        files = self.cleaned_data.get("attachments") or []
        if not files:
            return []
        try:
            validate(files)
        except AttachmentError as error:
            self.too_large = error.status_code == 413
            raise forms.ValidationError(str(error)) from error
        return files  # the services check them again and store them under clean names


class NewTicketForm(AttachmentsMixin, BootstrapFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300,
                              error_messages={"required": _("Tell us briefly what it is about.")})
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}),
                                  max_length=20000, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=CUSTOMER_KINDS,
                             initial=Ticket.Kind.QUESTION)
    order = forms.ModelChoiceField(label=_("Related order"), queryset=None, required=False,
                                   empty_label=_("None"), to_field_name="number")
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the customer's own orders (from portal.policy) can be chosen: a forged number
        # is "not one of the choices", never a ticket about someone else's order.
        self.fields["order"].queryset = orders.order_by("-date_placed")
        self.fields["order"].label_from_instance = lambda order: (
            f"{order.number} · {order.date_placed:%Y-%m-%d}")
        self.style()
        self.fields["subject"].widget.attrs.update({"autocomplete": "off",
                                                    "data-suggest": "subject"})


class ReplyForm(AttachmentsMixin, BootstrapFormMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=20000,
                           error_messages={"required": _("Write a message first.")})
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class SatisfactionForm(BootstrapFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the help you got?"), coerce=int,
        choices=[(5, _("5 – very satisfied")), (4, "4"), (3, "3"), (2, "2"),
                 (1, _("1 – very dissatisfied"))],
        widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


STATUS_FILTERS = [
    ("", _("All")),
    ("active", _("Open")),
    ("done", _("Resolved or closed")),
    *Ticket.Status.choices,
]
ACTIVE_STATUSES = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING,
                   Ticket.Status.ON_HOLD]
DONE_STATUSES = [Ticket.Status.RESOLVED, Ticket.Status.CLOSED]


class TicketFilterForm(forms.Form):
    """The list's query string: a status (or group of statuses) and the keyset cursor."""

    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    before = forms.IntegerField(min_value=1, required=False)

    def statuses(self) -> list[str] | None:
        chosen = self.cleaned_data.get("status")
        if not chosen:
            return None
        if chosen == "active":
            return ACTIVE_STATUSES
        if chosen == "done":
            return DONE_STATUSES
        return [chosen]
