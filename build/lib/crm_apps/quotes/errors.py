"""Why a quote cannot be sent, accepted or declined: errors the API and pages map to 4xx."""

from django.utils.translation import gettext_lazy as _

from crm_apps.quotes import services


class QuoteError(services.QuoteError):
    """A refused operation on a quote. ``code`` is stable for API clients; ``status`` is the
    HTTP status that fits (409: the quote's state forbids it, 400: missing data)."""

    status = 409

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


class QuoteStateError(QuoteError):
    """The quote is in a state that forbids the operation (draft, superseded, expired...)."""


class QuoteRecipientError(QuoteError):
    """The quote has nobody to send it to."""

    status = 400


STATE_MESSAGES = {
    "draft": _("This quote has not been sent yet."),
    "superseded": _("This version was replaced by a newer one."),
    "expired": _("This quote has expired."),
    "declined": _("This quote was declined."),
    "accepted": _("This quote was already accepted."),
}


def state_error(code: str) -> QuoteStateError:
    return QuoteStateError(code, STATE_MESSAGES.get(code, _("This quote cannot be changed.")))
