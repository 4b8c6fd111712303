"""Oscar's context processors, on tenant hosts only (their tables live in tenant schemas)."""

from oscar.apps.checkout.context_processors import checkout as oscar_checkout
from oscar.apps.communication.notifications.context_processors import (
    notifications as oscar_notifications,
)
from oscar.apps.search.context_processors import search_form as oscar_search_form

from core.tenancy import is_public_request


def _tenant_only(processor):
    def wrapped(request):
        return {} if is_public_request(request) else processor(request)

    wrapped.__name__ = processor.__name__
    return wrapped


search_form = _tenant_only(oscar_search_form)
checkout = _tenant_only(oscar_checkout)
notifications = _tenant_only(oscar_notifications)
