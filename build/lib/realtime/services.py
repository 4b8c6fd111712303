"""notify() and the inbox operations every app and view goes through."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from core.tasks import AUTO_GENERATED, deliver_email, send_email, tenant_url
from realtime import kinds
from realtime.groups import push, user_group
from realtime.models import Notification, NotificationPreference

EMAIL_CHUNK = 100


def serialize(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created": notification.created.isoformat(),
        "read": notification.is_read,
    }


def _users(recipients) -> list:
    """Users from users or ids, active ones only, each once."""
    ids, users = set(), []
    pending_ids = []
    for recipient in recipients:
        if isinstance(recipient, int):
            pending_ids.append(recipient)
        elif recipient.pk not in ids:
            ids.add(recipient.pk)
            users.append(recipient)
    if pending_ids:
        users += list(get_user_model().objects.filter(pk__in=set(pending_ids) - ids))
    return [user for user in users if user.is_active]


def channels_for(users: list, kind: kinds.Kind) -> dict[int, tuple[bool, bool]]:
    """(in_app, email) per user id for ``kind``: the user's choice or the kind's default."""
    chosen = {
        pref.user_id: (pref.in_app, pref.email)
        for pref in NotificationPreference.objects.filter(user__in=users, kind=kind.code)
    }
    default = (True, kind.email_default)
    return {user.pk: chosen.get(user.pk, default) for user in users}


def _render(text, user) -> str:
    """Lazy text in the recipient's language (each recipient reads their own)."""
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        return str(text)


def notify(recipients: Iterable, *, kind: str, title, body="", link: str = "",
           email: bool = True) -> list[Notification]:
    """Store a notification for each recipient who wants it in the app, push it once the
    transaction commits, and queue e-mail for those who chose e-mail.

    ``title`` and ``body`` may be lazy translations (``format_lazy``): each recipient gets
    them in their own language. ``email=False`` leaves e-mail to the caller (a job that
    reports per-recipient delivery itself uses :func:`email_notification`).
    """
    kind_ = kinds.get(kind)
    users = _users(recipients)
    if not users:
        return []
    wants = channels_for(users, kind_)
    rows, mail_to = [], []
    for user in users:
        in_app, by_email = wants[user.pk]
        rendered = (_render(title, user)[:200], _render(body, user))
        if in_app:
            rows.append(Notification(recipient=user, kind=kind, title=rendered[0],
                                     body=rendered[1], link=link))
        if by_email and email and user.email:
            mail_to.append(user)
    Notification.objects.bulk_create(rows)
    schema = connection.schema_name
    if rows:
        transaction.on_commit(lambda: push_new(schema, rows))
    if mail_to:
        messages = [email_message(user, title, body, link) for user in mail_to]
        transaction.on_commit(lambda: _queue_emails(schema, messages))
    return rows


def email_message(user, title, body, link: str) -> dict:
    """The keyword arguments of ``core.send_email`` for one recipient, in their language,
    with links on the tenant's own host."""
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {"title": str(title), "body": str(body),
                   "link": tenant_url(link) if link else "",
                   "preferences": tenant_url("/notifications/preferences/")}
        return {
            "to": [user.email],
            "subject": context["title"],
            "body": render_to_string("realtime/email/notification.txt", context),
            "html": render_to_string("realtime/email/notification.html", context),
            "headers": AUTO_GENERATED,
        }


def email_notification(user, title, body="", link: str = "", connection=None) -> None:
    """Send one notification e-mail now (inside a job that records failures per recipient)."""
    deliver_email(**email_message(user, title, body, link), connection=connection)


def _queue_emails(schema: str, messages: list[dict]) -> None:
    with schema_context(schema):
        for message in messages:
            send_email.delay(**message)


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    counts = (Notification.objects.filter(recipient_id__in=list(user_ids), is_read=False)
              .values("recipient_id").annotate(n=Count("id")))
    result = dict.fromkeys(user_ids, 0)
    result.update({row["recipient_id"]: row["n"] for row in counts})
    return result


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, is_read=False).count()


def push_new(schema: str, rows: list[Notification]) -> None:
    """Push stored notifications to their recipients' sockets, with fresh unread counts."""
    with schema_context(schema):
        counts = unread_counts({row.recipient_id for row in rows})
    push([
        (user_group(schema, row.recipient_id),
         {"type": "notification.new", "notification": serialize(row),
          "unread": counts[row.recipient_id]})
        for row in rows
    ])


def push_unread(user_id: int) -> None:
    """Tell every open tab of a user the new unread count (after marking read elsewhere)."""
    schema = connection.schema_name
    count = unread_count(user_id)
    transaction.on_commit(lambda: push(
        [(user_group(schema, user_id), {"type": "notification.unread", "unread": count})]))


def mark_read(user, notification_id: int) -> bool:
    """Mark one of ``user``'s notifications read; False if it is not theirs or not there."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient=user, is_read=False,
    ).update(is_read=True, read_at=timezone.now())
    exists = updated or Notification.objects.filter(pk=notification_id, recipient=user).exists()
    if updated:
        push_unread(user.pk)
    return bool(exists)


def mark_all_read(user) -> int:
    updated = Notification.objects.filter(recipient=user, is_read=False).update(
        is_read=True, read_at=timezone.now())
    if updated:
        push_unread(user.pk)
    return updated


def preferences_of(user, audience: str) -> list[tuple[kinds.Kind, bool, bool]]:
    """Each kind of the user's audience with the user's (in_app, email) choice."""
    kinds_ = kinds.for_audience(audience)
    chosen = {p.kind: (p.in_app, p.email)
              for p in NotificationPreference.objects.filter(user=user)}
    return [(kind, *chosen.get(kind.code, (True, kind.email_default))) for kind in kinds_]


@transaction.atomic
def set_preferences(user, audience: str, choices: dict[str, tuple[bool, bool]]) -> None:
    """Save (in_app, email) per kind code; codes outside the user's audience are ignored."""
    allowed = {kind.code for kind in kinds.for_audience(audience)}
    for code, (in_app, by_email) in choices.items():
        if code in allowed:
            NotificationPreference.objects.update_or_create(
                user=user, kind=code, defaults={"in_app": in_app, "email": by_email})
