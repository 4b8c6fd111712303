"""The audit trail: every change to a registered model, field by field, with who made it.

Models opt in with :func:`register`; saves through any channel (pages, API, imports that save
row by row, tasks) are recorded from the model signals. The actor comes from the request
(AuditActorMiddleware) or from :func:`acting_as` in tasks.
"""

import contextvars
import datetime
import decimal
import uuid
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_save, pre_save

_actor = contextvars.ContextVar("audit_actor", default=None)
IGNORED = {"updated", "created", "id"}


@contextmanager
def acting_as(user):
    """Attribute the changes made inside the block to ``user`` (tasks, commands)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    user = _actor.get()
    return user if getattr(user, "is_authenticated", False) else None


class AuditActorMiddleware:
    """Makes the signed-in user the actor of every change made while handling the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _fields(model):
    return [field for field in model._meta.concrete_fields if field.name not in IGNORED]


def _snapshot(instance) -> dict:
    snapshot = {field.name: _plain(getattr(instance, field.attname))
                for field in _fields(instance)}
    # Custom field values are diffed one by one, as "custom.<code>", so a change reads like
    # any other field's and a field hidden from a role can be left out of the history.
    custom = snapshot.pop("custom", None)
    if isinstance(custom, dict):
        snapshot.update({f"custom.{code}": value for code, value in custom.items()})
    return snapshot


def _record_type(model) -> str:
    return model._meta.label_lower


def _write(instance, action: str, changes: dict) -> None:
    from core.models import AuditEntry

    AuditEntry.objects.create(record_type=_record_type(type(instance)),
                              record_id=str(instance.pk), action=action,
                              actor=current_actor(), changes=changes)


def _before_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = _snapshot(old) if old is not None else None


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    after = _snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {name: [None, value] for name, value in after.items()
                   if value not in (None, "", [], {})}
        _write(instance, "created", changes)
        return
    changes = {name: [before.get(name), after.get(name)] for name in {**before, **after}
               if before.get(name) != after.get(name)}
    if not changes:
        return
    action = "updated"
    if "deleted_at" in changes:
        action = "deleted" if changes["deleted_at"][1] else "restored"
    _write(instance, action, changes)


def _m2m_changed(sender, instance, action, pk_set, model, **kwargs):
    if action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove",
                      "post_clear"):
        return
    field = next((f for f in instance._meta.many_to_many
                  if f.remote_field.through is sender), None)
    if field is None:
        return
    if action.startswith("pre_"):
        instance._audit_m2m = sorted(map(str, getattr(instance, field.name).all()))
        return
    old = getattr(instance, "_audit_m2m", [])
    new = sorted(map(str, getattr(instance, field.name).all()))
    if old != new:
        _write(instance, "updated", {field.name: [old, new]})


def register(model) -> None:
    """Record every save of ``model`` (and changes to its many-to-many fields)."""
    uid = _record_type(model)
    pre_save.connect(_before_save, sender=model, dispatch_uid=f"audit-pre-{uid}")
    post_save.connect(_after_save, sender=model, dispatch_uid=f"audit-post-{uid}")
    for field in model._meta.many_to_many:
        m2m_changed.connect(_m2m_changed, sender=field.remote_field.through,
                            dispatch_uid=f"audit-m2m-{uid}-{field.name}")


def history(instance):
    """The audit entries of one record, newest first."""
    from core.models import AuditEntry

    return AuditEntry.objects.filter(record_type=_record_type(type(instance)),
                                     record_id=str(instance.pk)).select_related("actor")
