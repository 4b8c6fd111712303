"""What a signed-in portal customer may see: every portal queryset starts here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from crm_apps.customers.models import Account, Contact


@dataclass(frozen=True)
class CustomerScope:
    """The contact behind a portal login, its account, and whether it sees the whole account."""

    contact: Contact
    account: Account | None
    is_company_admin: bool


def customer_of(user) -> CustomerScope | None:
    """The live contact whose portal login is ``user``; None for staff, anonymous or unlinked."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return None
    contact = (Contact.objects.select_related("account")
               .filter(portal_user_id=user.pk).first())
    if contact is None:
        return None
    account = contact.account if contact.account_id else None
    if account is not None and account.deleted_at is not None:
        account = None
    # Admin rights only mean something with a live account to see.
    return CustomerScope(contact=contact, account=account,
                         is_company_admin=bool(contact.portal_admin and account is not None))


def tickets_for(user) -> QuerySet:
    """The live tickets the customer may open: their own, or the account's for a company admin."""
    from crm_apps.service.models import Ticket

    scope = customer_of(user)
    if scope is None:
        return Ticket.objects.none()
    if scope.is_company_admin:
        return Ticket.objects.filter(Q(account=scope.account) | Q(contact=scope.contact))
    return Ticket.objects.filter(contact=scope.contact)


def invoices_for(user) -> QuerySet:
    """The issued invoices the customer may see (never drafts): those addressed to them, or
    the whole account's for a company admin."""
    from crm_apps.billing.models import Invoice

    scope = customer_of(user)
    if scope is None:
        return Invoice.objects.none()
    issued = Invoice.objects.exclude(status=Invoice.Status.DRAFT)
    if scope.is_company_admin:
        return issued.filter(Q(account=scope.account) | Q(contact=scope.contact))
    return issued.filter(contact=scope.contact)


def orders_for(user) -> QuerySet:
    """The customer's Oscar orders: their own (placed signed in, or guest orders they claimed),
    plus for a company admin those of the account's other portal users and those made from the
    account's accepted quotes. A guest order waiting for its claim is nobody's yet."""
    from oscar.core.loading import get_model

    from crm_apps.purchases.selectors import portal_order_ids

    order_model = get_model("order", "Order")
    scope = customer_of(user)
    if scope is None:
        return order_model.objects.none()
    visible = Q(user_id=user.pk) | Q(pk__in=portal_order_ids(scope.contact))
    if scope.is_company_admin:
        from crm_apps.quotes.models import Quote

        colleagues = Contact.objects.filter(account=scope.account, portal_user__isnull=False)
        quoted = (Quote.objects.filter(account=scope.account, order__isnull=False)
                  .values("order_id"))
        visible |= (Q(user_id__in=colleagues.values("portal_user_id"))
                    | Q(pk__in=portal_order_ids(colleagues)) | Q(pk__in=quoted))
    return order_model.objects.filter(visible)


def messages_visible(ticket) -> QuerySet:
    """The part of a ticket's conversation the customer sees: public replies only."""
    from crm_apps.service.models import TicketMessage

    if ticket is None:
        return TicketMessage.objects.none()
    return ticket.messages.filter(visibility=TicketMessage.Visibility.PUBLIC)
