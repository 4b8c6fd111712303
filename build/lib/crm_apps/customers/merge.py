"""Merging a duplicate into the record that stays, keeping everything attached to either."""

from django.db import transaction

from core.audit import current_actor
from core.models import AuditEntry
from crm_apps.customers.models import Contact

# Fields the merge never copies from the duplicate.
NEVER_COPIED = {"id", "created", "updated", "deleted_at", "domain"}


def _repoint_related(survivor, duplicate) -> dict[str, int]:
    """Move every row that points at ``duplicate`` (through any foreign key, in any app,
    including ones added later) over to ``survivor``."""
    moved = {}
    for relation in duplicate._meta.related_objects:
        if relation.many_to_many or not relation.field.concrete:
            continue
        model = relation.related_model
        manager = getattr(model, "everything", model._base_manager)
        if getattr(model, "derived_from_customer_records", False):
            # Figures worked out from the records (segment members, metrics): moving them
            # would clash with the survivor's own; they are worked out again for it.
            manager.filter(**{relation.field.name: duplicate}).delete()
            continue
        count = manager.filter(**{relation.field.name: duplicate}).update(
            **{relation.field.name: survivor})
        if count:
            moved[model._meta.label_lower] = count
    return moved


def _name(record) -> str:
    if isinstance(record, Contact):
        return record.full_name or record.email
    return str(record)


@transaction.atomic
def merge(survivor, duplicate) -> dict:
    """Fill the survivor's blank fields from the duplicate, join tags and classes, move every
    related record, keep the duplicate's e-mail as another address, then bin the duplicate."""
    if survivor.pk == duplicate.pk or type(survivor) is not type(duplicate):
        raise ValueError("Merge two different records of the same kind.")
    filled = []
    for field in survivor._meta.concrete_fields:
        if field.name in NEVER_COPIED or field.primary_key:
            continue
        mine, theirs = getattr(survivor, field.attname), getattr(duplicate, field.attname)
        if mine in (None, "", [], {}) and theirs not in (None, "", [], {}):
            setattr(survivor, field.attname, theirs)
            filled.append(field.name)
    if isinstance(survivor, Contact):
        others = set(survivor.other_emails) | set(duplicate.other_emails)
        if duplicate.email and duplicate.email.lower() != (survivor.email or "").lower():
            others.add(duplicate.email.lower())
        others.discard((survivor.email or "").lower())
        survivor.other_emails = sorted(others)
    if getattr(survivor, "parent_id", None) == duplicate.pk:
        survivor.parent = None  # the duplicate cannot stay the survivor's parent
    survivor.save()
    survivor.tags.add(*duplicate.tags.all())
    survivor.classes.add(*duplicate.classes.all())
    moved = _repoint_related(survivor, duplicate)
    duplicate.soft_delete()
    # The survivor's history says what was merged into it; the field changes and the
    # duplicate's deletion are recorded by the audit signals as usual.
    AuditEntry.objects.create(
        record_type=survivor._meta.label_lower, record_id=str(survivor.pk),
        action=AuditEntry.Action.MERGED, actor=current_actor(),
        changes={"merged": {"id": duplicate.pk, "name": _name(duplicate)}, "moved": moved})
    return {"survivor": survivor.pk, "merged": duplicate.pk, "filled": filled,
            "moved": moved}
