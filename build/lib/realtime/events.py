"""The foundation's events, turned into notifications."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import connection
from django.dispatch import receiver
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

from core.roles import STAFF_ROLES, TENANT_ADMIN, role_label
from core.signals import user_created
from realtime import kinds
from realtime.groups import push, session_group
from realtime.services import notify


@receiver(user_created, dispatch_uid="realtime.staff_joined")
def staff_joined(sender, user, role, acting_user=None, **kwargs):
    """Tell the tenant admins (except whoever added the colleague) about a new staff user."""
    if role not in STAFF_ROLES:
        return
    admins = (get_user_model().objects.filter(is_active=True, groups__name=TENANT_ADMIN)
              .exclude(pk=user.pk))
    if acting_user is not None:
        admins = admins.exclude(pk=acting_user.pk)
    name = user.get_full_name() or user.email
    notify(admins, kind=kinds.TEAM_MEMBER_JOINED.code,
           title=format_lazy(_("{name} joined the team"), name=name),
           body=format_lazy(_("{email} now works here as {role}."),
                            email=user.email, role=role_label(role)),
           link="/app/")


@receiver(user_logged_out, dispatch_uid="realtime.close_sockets_on_logout")
def close_sockets_on_logout(sender, request, user, **kwargs):
    """Close the sockets opened with the session that just signed out."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key and connection.schema_name != get_public_schema_name():
        push([(session_group(connection.schema_name, session_key),
               {"type": "session.ended"})])
