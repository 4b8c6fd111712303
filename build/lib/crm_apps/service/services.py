"""Every change to a ticket goes through here: opening, messages, status, assignment, merge."""

from contextlib import nullcontext

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.permissions import roles_of
from core.roles import MANAGER, STAFF_ROLES, TENANT_ADMIN
from crm_apps.service import assignment, live, sla
from crm_apps.service.attachments import store, validate
from crm_apps.service.models import Ticket, TicketMessage

Status = Ticket.Status
SIGNS_OFF = {MANAGER, TENANT_ADMIN}


class TicketError(Exception):
    """A change the desk refuses; the message is shown to the user, ``status_code`` is the
    HTTP status an API answers with."""

    status_code = 400


class TicketConflict(TicketError):
    """The ticket is not in a state that allows the change (a complaint not signed off)."""

    status_code = 409


class NotAllowed(TicketError):
    """The user may see the ticket but not make this change."""

    status_code = 403


def _acting(user):
    """Attribute audit entries to ``user`` when given; otherwise keep the request's actor."""
    return audit.acting_as(user) if user is not None else nullcontext()


# The hooks of the e-mail and satisfaction modules, imported when called so this module
# never depends on them at import time.

def _send_reply(message: TicketMessage) -> None:
    try:
        from crm_apps.service.mail_out import send_reply
    except (ImportError, AttributeError):
        return
    send_reply(message)


def _send_survey(ticket: Ticket) -> None:
    try:
        from crm_apps.service.satisfaction import send_survey
    except (ImportError, AttributeError):
        return
    send_survey(ticket)


def surviving(ticket: Ticket) -> Ticket:
    """The ticket a merged duplicate now lives on (itself when not merged)."""
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.everything.get(pk=ticket.merged_into_id)
    return ticket


def _store_message(ticket, *, body, visibility, author, author_contact, author_email, channel,
                   files, message_id="", in_reply_to="") -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket, body=body, visibility=visibility, author=author,
        author_contact=author_contact, author_email=author_email, channel=channel,
        message_id=message_id, in_reply_to=in_reply_to)
    store(message, files)
    return message


def open_ticket(*, subject, description="", channel, kind="question", priority="normal",
                account=None, contact=None, requester_email="", by_user=None, by_contact=None,
                attachments=(), message_id="", product=None, order=None, team=None,
                owner=None) -> Ticket:
    """Create a ticket with its first public message (the description and the files), give it
    an assignee by the rules when none is given, and set its SLA clocks."""
    files = validate(attachments)  # before anything is stored: a refused file stores nothing
    if not (subject or "").strip():
        raise TicketError(_("A ticket needs a subject."))
    if kind not in Ticket.Kind.values:
        raise TicketError(_("Unknown ticket type."))
    if priority not in Ticket.Priority.values:
        raise TicketError(_("Unknown priority."))
    if channel not in Ticket.Channel.values:
        raise TicketError(_("Unknown channel."))
    if account is None and contact is not None:
        account = contact.account
    customer = by_contact or (contact if by_user is None else None)
    with transaction.atomic(), _acting(by_user):
        ticket = Ticket(subject=subject.strip()[:300], description=description, channel=channel,
                        kind=kind, priority=priority, account=account, contact=contact,
                        requester_email=requester_email, product=product, order=order,
                        team=team, owner=owner)
        ticket.save()
        if owner is None and team is None:
            assignment.assign_new(ticket)
        if description.strip() or files:
            _store_message(ticket, body=description, visibility=TicketMessage.Visibility.PUBLIC,
                           author=by_user, author_contact=customer,
                           author_email=requester_email if by_user is None else "",
                           channel=channel, files=files, message_id=message_id)
        sla.apply_policy(ticket)
        live.ticket_opened(ticket, actor=by_user)
    return ticket


def add_message(ticket, *, body, visibility="public", author=None, author_contact=None,
                author_email="", channel="staff", attachments=(), message_id="",
                in_reply_to="") -> TicketMessage:
    """Add a reply or an internal note. A staff user's first public reply is the first
    response; it opens a new ticket. A customer's reply reopens a ticket waiting on them."""
    files = validate(attachments)
    if visibility not in TicketMessage.Visibility.values:
        raise TicketError(_("Unknown visibility."))
    if not (body or "").strip() and not files:
        raise TicketError(_("Write a message or attach a file."))
    public = visibility == TicketMessage.Visibility.PUBLIC
    from_staff = author is not None
    with transaction.atomic(), _acting(author):
        target = surviving(ticket)
        locked = Ticket.everything.select_for_update().get(pk=target.pk)
        message = _store_message(locked, body=body or "", visibility=visibility, author=author,
                                 author_contact=author_contact, author_email=author_email,
                                 channel=channel, files=files, message_id=message_id,
                                 in_reply_to=in_reply_to)
        fields = []
        if public and from_staff:
            if locked.first_responded_at is None:
                locked.first_responded_at = message.created
                fields.append("first_responded_at")
            if locked.status == Status.NEW:
                locked.status = Status.OPEN
                fields.append("status")
        elif public and locked.status == Status.PENDING:
            locked.status = Status.OPEN
            fields.append("status")
            fields += sla.pause_or_resume(locked, Status.PENDING, timezone.now())
        if fields:
            locked.save(update_fields=[*fields, "updated"])
        if locked.pk == ticket.pk:  # not when the message went to the surviving ticket
            _copy_state(locked, ticket)
        live.message_added(message, actor=author)
        if public and from_staff and _wants_email(locked):
            transaction.on_commit(lambda: _send_reply(message))
    return message


def _wants_email(ticket: Ticket) -> bool:
    """Replies go by e-mail to tickets that came by e-mail, and to contacts who have not
    turned e-mail off for ticket replies in their portal preferences."""
    if ticket.channel == Ticket.Channel.EMAIL:
        return True
    contact = ticket.contact
    if contact is None or not contact.email:
        return bool(ticket.requester_email)
    if contact.portal_user_id is None:
        return True
    return live.customer_wants_email(contact.portal_user)


def _copy_state(source: Ticket, target: Ticket) -> None:
    """Bring the caller's ticket object up to date with the row the service changed."""
    if source is target or source.pk != target.pk:
        return
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def change_status(ticket, status, *, by=None, by_contact=None) -> Ticket:
    """Move a ticket to ``status`` with its timestamps. A complaint closes only with a root
    cause, a corrective action and a manager's sign-off; resolving sends the survey."""
    if status not in Status.values:
        raise TicketError(_("Unknown status."))
    with transaction.atomic(), _acting(by):
        locked = Ticket.everything.select_for_update().get(pk=ticket.pk)
        if locked.merged_into_id and status != Status.CLOSED:
            raise TicketConflict(_("A merged ticket stays closed; work on the one it was "
                                   "merged into."))
        if locked.status == status:
            _copy_state(locked, ticket)
            return ticket
        if status == Status.CLOSED and locked.is_complaint:
            _check_complaint_closable(locked)
        now = timezone.now()
        old_status, locked.status = locked.status, status
        if status == Status.RESOLVED:
            locked.resolved_at, locked.closed_at = now, None
        elif status == Status.CLOSED:
            locked.resolved_at, locked.closed_at = locked.resolved_at or now, now
        else:
            locked.resolved_at = locked.closed_at = None
        paused_fields = sla.pause_or_resume(locked, old_status, now)
        locked.save(update_fields=["status", "resolved_at", "closed_at", *paused_fields,
                                   "updated"])
        _copy_state(locked, ticket)
        if status == Status.RESOLVED:
            _send_survey(locked)
        live.status_changed(locked, actor=by)
    return ticket


def _check_complaint_closable(ticket: Ticket) -> None:
    if not ticket.root_cause.strip() or not ticket.corrective_action.strip():
        raise TicketConflict(_("A complaint closes only with its root cause and corrective "
                               "action recorded."))
    if ticket.signed_off_at is None:
        raise TicketConflict(_("A complaint closes only after a manager's sign-off."))


def update_details(ticket, *, by=None, **fields) -> Ticket:
    """Change subject, priority, complaint severity, root cause or corrective action.
    Changing the cause or the correction after a sign-off withdraws the sign-off."""
    allowed = {"subject", "priority", "severity", "root_cause", "corrective_action", "kind"}
    unknown = set(fields) - allowed
    if unknown:
        raise TicketError(_("These fields cannot be changed here: %(fields)s")
                          % {"fields": ", ".join(sorted(unknown))})
    if "priority" in fields and fields["priority"] not in Ticket.Priority.values:
        raise TicketError(_("Unknown priority."))
    if "kind" in fields and fields["kind"] not in Ticket.Kind.values:
        raise TicketError(_("Unknown ticket type."))
    if fields.get("severity") and fields["severity"] not in Ticket.Severity.values:
        raise TicketError(_("Unknown severity."))
    with transaction.atomic(), _acting(by):
        locked = Ticket.everything.select_for_update().get(pk=ticket.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        if not changed:
            _copy_state(locked, ticket)
            return ticket
        for name in changed:
            setattr(locked, name, fields[name])
        if locked.signed_off_at and {"root_cause", "corrective_action"} & set(changed):
            locked.signed_off_at, locked.signed_off_by = None, None
            changed += ["signed_off_at", "signed_off_by"]
        locked.save(update_fields=[*changed, "updated"])
        if "priority" in changed:
            sla.apply_policy(locked)
        _copy_state(locked, ticket)
        live.ticket_updated(locked, actor=by)
    return ticket


def assign(ticket, *, owner=None, team=None, by=None) -> Ticket:
    """Give the ticket to ``owner`` and ``team`` (None leaves it without); the new assignee
    is told."""
    if owner is not None and not roles_of(owner) & STAFF_ROLES:
        raise TicketError(_("Tickets go to active staff users only."))
    with transaction.atomic(), _acting(by):
        locked = Ticket.everything.select_for_update().get(pk=ticket.pk)
        previous_owner = locked.owner_id
        locked.owner, locked.team = owner, team
        locked.save(update_fields=["owner", "team", "updated"])
        _copy_state(locked, ticket)
        if owner is not None and owner.pk != previous_owner:
            live.assigned(locked, actor=by)
        live.ticket_updated(locked, actor=by)
    return ticket


def set_tags(ticket, tags, *, by=None) -> Ticket:
    """Replace the ticket's tags."""
    with transaction.atomic(), _acting(by):
        ticket.tags.set(tags)
        live.ticket_updated(ticket, actor=by)
    return ticket


def sign_off(ticket, *, by) -> Ticket:
    """A manager confirms a complaint's root cause and corrective action."""
    if not roles_of(by) & SIGNS_OFF:
        raise NotAllowed(_("Only a manager signs off a complaint."))
    with transaction.atomic(), _acting(by):
        locked = Ticket.everything.select_for_update().get(pk=ticket.pk)
        if not locked.is_complaint:
            raise TicketError(_("Only complaints are signed off."))
        if not locked.root_cause.strip() or not locked.corrective_action.strip():
            raise TicketConflict(_("Record the root cause and the corrective action before "
                                   "the sign-off."))
        locked.signed_off_by, locked.signed_off_at = by, timezone.now()
        locked.save(update_fields=["signed_off_by", "signed_off_at", "updated"])
        _copy_state(locked, ticket)
        live.ticket_updated(locked, actor=by)
    return ticket


def _audit_entry(ticket: Ticket, changes: dict) -> None:
    from core.models import AuditEntry

    AuditEntry.objects.create(record_type=Ticket._meta.label_lower, record_id=str(ticket.pk),
                              action=AuditEntry.Action.MERGED, actor=audit.current_actor(),
                              changes=changes)


def merge(duplicate, into, *, by) -> Ticket:
    """Move the duplicate's conversation (with its files), tags and links to ``into`` and
    close the duplicate as merged into it."""
    if duplicate.pk == into.pk:
        raise TicketError(_("A ticket cannot be merged into itself."))
    with transaction.atomic(), _acting(by):
        # Locked in id order so two merges of the same pair cannot deadlock.
        locked = {t.pk: t for t in Ticket.everything.select_for_update()
                  .filter(pk__in=[duplicate.pk, into.pk]).order_by("pk")}
        source, target = locked[duplicate.pk], locked[into.pk]
        if source.merged_into_id or target.merged_into_id:
            raise TicketConflict(_("That ticket was already merged."))
        moved = TicketMessage.objects.filter(ticket=source).update(ticket=target)
        target.tags.add(*source.tags.all())
        others = [t for t in source.linked.all() if t.pk != target.pk]
        target.linked.add(*others)
        source.linked.clear()
        now = timezone.now()
        source.merged_into = target
        source.status = Status.CLOSED
        source.resolved_at = source.resolved_at or now
        source.closed_at = now
        source.save(update_fields=["merged_into", "status", "resolved_at", "closed_at",
                                   "updated"])
        if target.first_responded_at is None and source.first_responded_at is not None:
            target.first_responded_at = source.first_responded_at
            target.save(update_fields=["first_responded_at", "updated"])
        _audit_entry(source, {"merged_into": [None, target.number]})
        _audit_entry(target, {"merged_from": [None, source.number], "messages": [0, moved]})
        _copy_state(source, duplicate)
        _copy_state(target, into)
        live.ticket_updated(source, actor=by)
        live.ticket_updated(target, actor=by)
    return into


def link(a, b, *, by) -> None:
    """Mark two tickets as related (both ways)."""
    if a.pk == b.pk:
        raise TicketError(_("A ticket cannot be linked to itself."))
    with transaction.atomic(), _acting(by):
        a.linked.add(b)
        # The link's signal records it on ``a``; ``b`` gets its own entry.
        from core.models import AuditEntry

        AuditEntry.objects.create(record_type=Ticket._meta.label_lower, record_id=str(b.pk),
                                  action=AuditEntry.Action.UPDATED, actor=audit.current_actor(),
                                  changes={"linked": [None, a.number]})
