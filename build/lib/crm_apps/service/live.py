"""Live ticket updates: pushed to the staff who may see the ticket and, for public messages
and status changes, to the customer's portal sockets; notifications for assignees and
customers.

Sockets get ``{"type": "ticket", "ticket": {...}}`` (see realtime/consumers.py). The
customer's copy never carries internal notes or staff-only fields.
"""

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.roles import STAFF_ROLES
from crm_apps.customers.visibility import visible_filter
from realtime import kinds
from realtime.groups import push, user_group
from realtime.models import NotificationPreference
from realtime.services import notify

TICKET_ASSIGNED = kinds.register("ticket.assigned", _("Tickets assigned to me"),
                                 audience=kinds.STAFF)
TICKET_REPLY = kinds.register("ticket.reply", _("Replies to my tickets"),
                              audience=kinds.CUSTOMERS, email_default=True)
TICKET_STATUS = kinds.register("ticket.status", _("Status changes of my tickets"),
                               audience=kinds.CUSTOMERS)


def staff_link(ticket) -> str:
    try:
        return reverse("service:ticket-detail", args=[ticket.pk])
    except NoReverseMatch:
        return f"/api/v1/tickets/{ticket.pk}/"


def portal_link(ticket) -> str:
    try:
        return reverse("portal:ticket-detail", args=[ticket.pk])
    except NoReverseMatch:
        return "/portal/"


def _staff() -> list:
    """Active staff, with their roles read in one query (``roles_of`` keeps them)."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
                 .distinct().order_by("pk"))
    roles = {}
    for user_id, role in user_model.groups.through.objects.filter(
            user__in=users).values_list("user_id", "group__name"):
        roles.setdefault(user_id, set()).add(role)
    for user in users:
        user._role_codes = frozenset(roles.get(user.pk, ()))
    return users


def staff_viewer_ids(ticket) -> set[int]:
    """Which active staff see ``ticket``: each one's visibility rule on the row, one query."""
    from crm_apps.service.models import Ticket

    staff = _staff()
    rules = {f"user_{user.pk}": (user, visible_filter(user)) for user in staff}
    counted = {name: Count("pk", filter=rule) for name, (_user, rule) in rules.items()
               if rule is not None}
    flags = Ticket.everything.filter(pk=ticket.pk).aggregate(row=Count("pk"), **counted)
    if not flags["row"]:
        return set()
    return {user.pk for name, (user, rule) in rules.items() if rule is None or flags.get(name)}


def customer_user_ids(ticket) -> set[int]:
    """The portal logins that see the ticket: its contact's, and the account's portal admins'."""
    from crm_apps.customers.models import Contact

    ids = set()
    if ticket.contact_id:
        ids |= set(Contact.objects.filter(pk=ticket.contact_id, portal_user__is_active=True)
                   .values_list("portal_user_id", flat=True))
    if ticket.account_id:
        ids |= set(Contact.objects.filter(account_id=ticket.account_id, portal_admin=True,
                                          portal_user__is_active=True)
                   .values_list("portal_user_id", flat=True))
    ids.discard(None)
    return ids


def customer_wants_email(user) -> bool:
    """A portal user's choice for replies by e-mail (on unless turned off)."""
    chosen = (NotificationPreference.objects.filter(user=user, kind=TICKET_REPLY.code)
              .values_list("email", flat=True).first())
    return TICKET_REPLY.email_default if chosen is None else chosen


def _author_name(message) -> str:
    if message.author_id:
        return message.author.get_full_name() or message.author.email
    if message.author_contact_id:
        return str(message.author_contact)
    return message.author_email


def message_data(message) -> dict:
    return {
        "id": message.pk,
        "body": message.body,
        "visibility": message.visibility,
        "from_customer": message.from_customer,
        "author": _author_name(message),
        "created": message.created.isoformat(),
        "attachments": [{"id": a.pk, "name": a.name, "size": a.size}
                        for a in message.attachments.all()],
    }


def ticket_data(ticket, event: str, *, for_customer: bool) -> dict:
    data = {"id": ticket.pk, "number": ticket.number, "subject": ticket.subject,
            "status": ticket.status, "status_label": str(ticket.get_status_display()),
            "event": event}
    if not for_customer:
        data.update(priority=ticket.priority, owner=ticket.owner_id, team=ticket.team_id,
                    merged_into=ticket.merged_into_id)
    return data


def _push_later(ticket, event: str, *, actor=None, message=None, to_customer: bool) -> None:
    """Push once the transaction commits (a rolled back change is never announced)."""
    schema = connection.schema_name
    staff_ids = staff_viewer_ids(ticket)
    customer_ids = customer_user_ids(ticket) if to_customer else set()
    staff_payload = ticket_data(ticket, event, for_customer=False)
    customer_payload = ticket_data(ticket, event, for_customer=True)
    if message is not None:
        staff_payload["message"] = message_data(message)
        customer_payload["message"] = staff_payload["message"]
    actor_id = getattr(actor, "pk", None)
    staff_payload["actor"] = actor_id
    messages = [(user_group(schema, pk), {"type": "ticket.update", "ticket": staff_payload})
                for pk in staff_ids]
    messages += [(user_group(schema, pk), {"type": "ticket.update", "ticket": customer_payload})
                 for pk in customer_ids - staff_ids]
    transaction.on_commit(lambda: push(messages))


def ticket_opened(ticket, *, actor=None) -> None:
    _push_later(ticket, "opened", actor=actor, to_customer=False)
    if ticket.owner_id and ticket.owner_id != getattr(actor, "pk", None):
        assigned(ticket, actor=actor)


def ticket_updated(ticket, *, actor=None) -> None:
    _push_later(ticket, "updated", actor=actor, to_customer=False)


def message_added(message, *, actor=None) -> None:
    """Staff watching get every message; the customer only public ones, and a notification
    when staff answered (e-mail is the e-mail module's job, so none is queued here)."""
    ticket = message.ticket
    public = message.visibility == message.Visibility.PUBLIC
    _push_later(ticket, "message", actor=actor, message=message, to_customer=public)
    if public and not message.from_customer:
        notify(customer_user_ids(ticket), kind=TICKET_REPLY.code,
               title=format_lazy(_("New reply on {number}"), number=ticket.number),
               body=ticket.subject, link=portal_link(ticket), email=False)


def status_changed(ticket, *, actor=None) -> None:
    _push_later(ticket, "status", actor=actor, to_customer=True)
    notify(customer_user_ids(ticket) - {getattr(actor, "pk", None)}, kind=TICKET_STATUS.code,
           title=format_lazy(_("{number} is now {status}"), number=ticket.number,
                             status=ticket.get_status_display()),
           body=ticket.subject, link=portal_link(ticket), email=False)


def assigned(ticket, *, actor=None) -> None:
    """Tell the new assignee (not when they took the ticket themselves)."""
    if ticket.owner_id is None or ticket.owner_id == getattr(actor, "pk", None):
        return
    notify([ticket.owner_id], kind=TICKET_ASSIGNED.code,
           title=format_lazy(_("Ticket assigned to you: {number}"), number=ticket.number),
           body=ticket.subject, link=staff_link(ticket))
