"""Linking each placed shop order to its CRM contact: a signed-in shopper's by their portal
login, a guest's by the e-mail given at checkout, without ever handing an order to an account
whose holder has not confirmed it."""

import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext
from oscar.apps.order.signals import order_placed

from crm_apps.customers.models import Contact
from crm_apps.purchases.models import OrderContact, PendingOrderLink

logger = logging.getLogger(__name__)


def normalised(email) -> str:
    return (email or "").strip().lower()


def contacts_with_email(email: str) -> list[Contact]:
    """The live contacts whose e-mail or one of whose other e-mails is ``email``, ignoring
    case."""
    wanted = normalised(email)
    if not wanted:
        return []
    # The JSON text search only narrows the rows; each address is compared exactly below, so
    # "ann@x.com" never matches "joann@x.com".
    candidates = (Contact.objects.select_related("portal_user")
                  .filter(Q(email__iexact=wanted) | Q(other_emails__icontains=wanted))
                  .order_by("pk"))
    return [contact for contact in candidates if wanted in addresses_of(contact)]


def addresses_of(contact: Contact) -> set[str]:
    others = contact.other_emails if isinstance(contact.other_emails, list) else []
    return {normalised(address) for address in [contact.email, *others]
            if isinstance(address, str) and address.strip()}


def _lock_email(email: str) -> None:
    """Serialise the linking of orders with the same e-mail in this tenant, so two guest
    orders placed at once cannot create two contacts for one person."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"purchases:{connection.schema_name}:{email}"])


def link_order(order):
    """Tie ``order`` to a contact (or park it, see PendingOrderLink); returns the
    OrderContact, the PendingOrderLink or None. An order is linked once."""
    if (OrderContact.objects.filter(order=order).exists()
            or PendingOrderLink.objects.filter(order=order).exists()):
        return None
    if order.user_id:
        contact = Contact.objects.filter(portal_user_id=order.user_id).first()
        if contact is None:  # a staff member or a login without a customer record
            return None
        return OrderContact.objects.create(order=order, contact=contact,
                                           how=OrderContact.How.LOGIN)
    email = normalised(order.guest_email)
    if not email:
        return None
    _lock_email(email)
    matches = contacts_with_email(email)
    given = order.guest_email.strip()
    if len(matches) > 1:
        return _leave_for_staff(order, given, matches)
    if matches:
        contact = matches[0]
        if contact.portal_user_id:
            return _ask_account_holder(order, given, contact)
        # A contact nobody signs in as: the order joins its record, nothing else changes.
        return OrderContact.objects.create(order=order, contact=contact,
                                           how=OrderContact.How.GUEST_MATCHED)
    contact = _contact_from_order(order, given)
    return OrderContact.objects.create(order=order, contact=contact,
                                       how=OrderContact.How.GUEST_CREATED)


def _contact_from_order(order, email: str) -> Contact:
    address = order.billing_address or order.shipping_address
    return Contact.objects.create(
        first_name=(getattr(address, "first_name", "") or "")[:100],
        last_name=(getattr(address, "last_name", "") or "")[:100],
        email=email, phone=str(getattr(order.shipping_address, "phone_number", "") or "")[:40],
        lifecycle_stage=Contact.Stage.CUSTOMER)


def _ask_account_holder(order, email: str, contact: Contact) -> PendingOrderLink:
    """The e-mail belongs to someone who signs in: anyone can type it at checkout, so the
    order waits until the account holder says it is theirs (crm_apps.purchases.claims)."""
    from crm_apps.purchases.claims import send_claim_email

    pending = PendingOrderLink.objects.create(
        order=order, reason=PendingOrderLink.Reason.AWAITING_CLAIM, contact=contact,
        email=email)
    send_claim_email(pending)
    return pending


def _leave_for_staff(order, email: str, contacts: list[Contact]) -> PendingOrderLink:
    """Several contacts have the e-mail: guessing could show one person another's order, so
    each candidate's record gets an open task saying staff must decide."""
    pending = PendingOrderLink.objects.create(
        order=order, reason=PendingOrderLink.Reason.SEVERAL_CONTACTS, email=email)
    names = ", ".join(f"{contact} (#{contact.pk})" for contact in contacts)
    # Written for staff, not in the language the shopper happened to browse in.
    with translation.override(settings.LANGUAGE_CODE):
        _open_tasks(order, email, contacts, names)
    return pending


def _open_tasks(order, email: str, contacts: list[Contact], names: str) -> None:
    from crm_apps.activities.models import Activity

    for contact in contacts:
        Activity.objects.create(
            kind=Activity.Kind.TASK, contact=contact, account_id=contact.account_id,
            assignee_id=contact.owner_id, owner_id=contact.owner_id,
            priority=Activity.Priority.NORMAL,
            subject=(gettext("Guest order %(number)s: which contact placed it?")
                     % {"number": order.number})[:200],
            body=gettext("A guest placed order %(number)s with the e-mail %(email)s, which "
                         "several contacts share: %(contacts)s. It was not linked to any of "
                         "them; find out whose it is.") % {
                "number": order.number, "email": email, "contacts": names})


@receiver(order_placed, dispatch_uid="purchases.link_placed_order")
def link_placed_order(sender, order, **kwargs):
    # Inside the checkout's transaction: a failure here must not lose the sale, so it runs in
    # a savepoint and is only logged.
    try:
        with transaction.atomic():
            link_order(order)
    except Exception:
        logger.exception("Order %s could not be linked to a contact", order.number)
