"""Reads of the order links that the portal, live notices and the timeline share."""

from django.db.models import QuerySet

from crm_apps.purchases.models import OrderContact

# Links a customer's portal shows: what they ordered signed in, and guest orders they claimed.
# A guest order only matched by e-mail was never confirmed by whoever signs in as the contact.
SHOWN_IN_PORTAL = (OrderContact.How.LOGIN, OrderContact.How.CLAIMED)


def portal_order_ids(contacts) -> QuerySet:
    """Ids of the orders linked to ``contacts`` (a contact, or a queryset of them) that their
    portal logins may see."""
    links = OrderContact.objects.filter(how__in=SHOWN_IN_PORTAL)
    if isinstance(contacts, QuerySet):
        links = links.filter(contact__in=contacts)
    else:
        links = links.filter(contact=contacts)
    return links.values("order_id")


def portal_contact_of(order):
    """The contact whose portal login sees ``order`` through a link, or None."""
    link = (OrderContact.objects.select_related("contact__portal_user")
            .filter(order_id=order.pk, how__in=SHOWN_IN_PORTAL).first())
    return link.contact if link is not None else None
