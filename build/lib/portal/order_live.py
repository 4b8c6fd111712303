"""Order status changes told to the customers who see the order: live in the portal, and by
e-mail unless they turned order e-mails off."""

from django.db import connection, transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name, schema_context
from oscar.apps.order.signals import order_status_changed

from realtime import kinds
from realtime.services import email_message, notify
from store.order_statuses import status_label

ORDER_STATUS = kinds.register("order.status", _("Status changes of my orders"),
                              audience=kinds.CUSTOMERS)


def order_link(order) -> str:
    return reverse("portal:order", args=[order.number])


def customer_contacts(order) -> list:
    """The contacts whose portal logins see ``order`` (the same rule as portal.policy): the
    one who placed it (or claimed it as a guest order), and the portal admins of the account it
    belongs to."""
    from crm_apps.customers.models import Contact
    from crm_apps.purchases.selectors import portal_contact_of

    account_ids = set()
    owner = None
    if order.user_id:
        owner = (Contact.objects.select_related("portal_user")
                 .filter(portal_user_id=order.user_id).first())
    if owner is None:  # a guest order its account holder claimed
        owner = portal_contact_of(order)
    if owner is not None and owner.account_id:
        account_ids.add(owner.account_id)
    quote = getattr(order, "quote", None)
    if quote is not None and quote.account_id:
        account_ids.add(quote.account_id)
    contacts = {owner.pk: owner} if owner is not None else {}
    if account_ids:
        for admin in (Contact.objects.select_related("portal_user")
                      .filter(account_id__in=account_ids, portal_admin=True,
                              portal_user__isnull=False)):
            contacts.setdefault(admin.pk, admin)
    return [contact for contact in contacts.values()
            if contact.portal_user is not None and contact.portal_user.is_active]


@receiver(order_status_changed, dispatch_uid="portal.order_status_changed")
def order_status_changed_live(sender, order, old_status, new_status, **kwargs):
    if connection.schema_name == get_public_schema_name():
        return
    contacts = customer_contacts(order)
    if not contacts:
        return
    title = format_lazy(_("Order {number} is now {status}"), number=order.number,
                        status=status_label(new_status))
    body = format_lazy(_("Status changed from {old} to {new}."), old=status_label(old_status),
                       new=status_label(new_status))
    link = order_link(order)
    notify([contact.portal_user for contact in contacts], kind=ORDER_STATUS.code, title=title,
           body=body, link=link, email=False)
    _email_those_who_want_it(contacts, title, body, link)


def _email_those_who_want_it(contacts, title, body, link) -> None:
    from core.tasks import send_email
    from portal.preferences import ORDER, wants_email

    messages = [email_message(contact.portal_user, title, body, link)
                for contact in contacts if wants_email(contact, ORDER)]
    if not messages:
        return
    schema = connection.schema_name

    def queue():
        with schema_context(schema):
            for message in messages:
                send_email.delay(**message)

    transaction.on_commit(queue)
