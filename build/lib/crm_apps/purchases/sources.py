"""The store orders' timeline source: each order of a contact (placed with their portal login
or linked to them from guest checkout) on the contact's and its account's timeline."""

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from oscar.core.loading import get_model
from oscar.templatetags.currency_filters import currency

from crm_apps.activities.timeline import register_source
from crm_apps.customers.models import Contact
from crm_apps.customers.visibility import visible
from crm_apps.purchases.models import OrderContact


def status_label(status: str) -> str:
    # The same "order status" messages the store's labels use (store/order_statuses.py).
    return pgettext("order status", status) if status else ""


def order_page(order) -> str:
    try:
        return reverse("dashboard:order-detail", kwargs={"number": order.number})
    except NoReverseMatch:  # a URLconf without the shop
        return ""


def orders_of(contacts):
    """Orders placed with the contacts' portal logins, and those linked to the contacts."""
    order_model = get_model("order", "Order")
    logins = contacts.filter(portal_user__isnull=False).values("portal_user_id")
    linked = OrderContact.objects.filter(contact__in=contacts).values("order_id")
    return order_model.objects.filter(Q(user_id__in=logins) | Q(pk__in=linked))


def order_items(*, account=None, contact=None, user, before=None, limit=None):
    if account is not None:
        contacts = Contact.objects.filter(account=account)
    elif contact is not None:
        contacts = Contact.objects.filter(pk=contact.pk)
    else:
        return
    queryset = orders_of(visible(contacts, user))
    if before is not None:
        queryset = queryset.filter(date_placed__lte=before)
    queryset = queryset.order_by("-date_placed", "-id")
    if limit:
        queryset = queryset[:limit]
    for order in queryset:
        summary = _("%(total)s, %(status)s") % {
            "total": currency(order.total_incl_tax, order.currency),
            "status": status_label(order.status)}
        yield {"kind": "order", "id": order.pk,
               "title": _("Order %(number)s") % {"number": order.number},
               "when": order.date_placed, "summary": summary, "link": order_page(order)}


register_source("store_orders", order_items)
