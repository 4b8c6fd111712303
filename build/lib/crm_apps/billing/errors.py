"""Why an invoice operation is refused: errors the API and pages map to a 4xx answer."""

from django.utils.translation import gettext_lazy as _


class BillingError(Exception):
    """A refused operation. ``code`` is stable for API clients; ``status`` is the HTTP status
    that fits (409: the invoice's state forbids it, 400: the input is wrong)."""

    status = 409

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


class InvoiceStateError(BillingError):
    """The invoice's status forbids the operation (a paid invoice voided, a draft paid...)."""


class AmountError(BillingError):
    """An amount that cannot be taken: zero, negative, or more than is due or refundable."""

    status = 400


class RecipientError(BillingError):
    """The invoice has nobody to send it to."""

    status = 400


STATE_MESSAGES = {
    "draft": _("This invoice has not been issued yet."),
    "void": _("This invoice was voided."),
    "paid": _("This invoice is paid."),
    "refunded": _("This invoice was refunded."),
    "not_draft": _("Only a draft invoice can be changed."),
    "has_payments": _("An invoice with payments cannot be voided; refund them first."),
    "no_lines": _("Add at least one line before issuing the invoice."),
}


def state_error(code: str) -> InvoiceStateError:
    return InvoiceStateError(code, STATE_MESSAGES.get(code, _("This invoice cannot be changed.")))
