"""The rules a custom field definition and a hidden field must follow, shared by the API and
the settings pages, and the changes that must touch records (purging a deleted field's values)."""

import re

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Func, Value
from django.utils.translation import gettext as _

from core.roles import STAFF_ROLES, TENANT_ADMIN
from crm_apps.customization import access, entities
from crm_apps.customization.models import CustomField, FieldRestriction

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
# Characters a spreadsheet cell of a multiple choice uses between values (values.parse).
CHOICE_SEPARATORS = re.compile(r"[,;、，；|]")
CHOICE_TYPES = {CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE}
# Roles a field can be hidden from: tenant admins always see everything.
RESTRICTABLE_ROLES = sorted(STAFF_ROLES - {TENANT_ADMIN})


def records_holding(definition: CustomField):
    """The records (deleted ones included) that hold a value for ``definition``."""
    model = entities.model_for(definition.entity)
    if model is None:
        return None
    manager = getattr(model, "everything", model._default_manager)
    return manager.filter(custom__has_key=definition.code)


def _errors(errors: dict) -> None:
    if errors:
        raise ValidationError({name: messages for name, messages in errors.items()})


def clean_choices(raw, field_type: str) -> list[dict]:
    """Choices as stored: [{"value", "label", "label_zh_hans"}], values unique and non-blank."""
    if field_type not in CHOICE_TYPES:
        return []
    if not isinstance(raw, list):
        raise ValidationError(_("Give the choices as a list."))
    cleaned, seen = [], set()
    for item in raw:
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str | int):
            raise ValidationError(_("Each choice needs a value."))
        value = str(item["value"]).strip()
        if not value:
            raise ValidationError(_("Each choice needs a value."))
        if CHOICE_SEPARATORS.search(value):
            raise ValidationError(_("The choice value “%(value)s” may not contain commas, "
                                    "semicolons or “|”.") % {"value": value})
        if value.lower() in seen:
            raise ValidationError(_("The choice value “%(value)s” appears twice.")
                                  % {"value": value})
        seen.add(value.lower())
        label = str(item.get("label") or "").strip() or value
        label_zh = str(item.get("label_zh_hans") or "").strip()
        cleaned.append({"value": value, "label": label[:100], "label_zh_hans": label_zh[:100]})
    if not cleaned:
        raise ValidationError(_("Give at least one choice."))
    return cleaned


def parse_choice_lines(text: str) -> list[dict]:
    """Choices from lines such as ``gold | Gold | 金牌`` (the labels may be left out)."""
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        choices.append({"value": parts[0], "label": parts[1] if len(parts) > 1 else "",
                        "label_zh_hans": parts[2] if len(parts) > 2 else ""})
    return choices


def choice_lines(choices: list[dict]) -> str:
    return "\n".join(" | ".join(part for part in (choice.get("value", ""),
                                                   choice.get("label", ""),
                                                   choice.get("label_zh_hans", "")))
                     for choice in choices)


def clean_definition(data: dict, instance: CustomField | None = None) -> dict:
    """``data`` (entity, code, type, choices, currency) checked and normalised, or a
    ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    entity = data.get("entity", instance.entity if instance else "")
    code = data.get("code", instance.code if instance else "")
    field_type = data.get("type", instance.type if instance else "")
    model = entities.model_for(entity)
    if model is None:
        errors["entity"] = [_("Choose one of the record types: %(types)s.")
                            % {"types": ", ".join(name for name, _label in entities.choices())}]
    elif instance is not None and entity != instance.entity:
        errors["entity"] = [_("The record type of a field cannot change.")]
    if not isinstance(code, str) or not CODE_PATTERN.match(code) or len(code) > 40:
        errors["code"] = [_("Use lowercase letters, digits and underscores, starting with a "
                            "letter (at most 40), such as contract_value.")]
    elif "__" in code:
        errors["code"] = [_("A code may not contain two underscores in a row.")]
    elif code.endswith(("_min", "_max")):
        errors["code"] = [_("A code may not end in _min or _max: those name range filters.")]
    elif model is not None:
        model_names = {field.name for field in model._meta.get_fields()}
        model_names |= {getattr(field, "attname", field.name) for field in model._meta.get_fields()}
        if code in model_names:
            errors["code"] = [_("“%(code)s” is already a built-in field of this record type.")
                              % {"code": code}]
        elif CustomField.objects.filter(entity=entity, code=code).exclude(
                pk=getattr(instance, "pk", None)).exists():
            errors["code"] = [_("This record type already has a field with the code "
                                "“%(code)s”.") % {"code": code}]
    if field_type not in CustomField.Type.values:
        errors["type"] = [_("Choose one of the types: %(types)s.")
                          % {"types": ", ".join(CustomField.Type.values)}]
    if instance is not None and model is not None and "code" not in errors and (
            field_type != instance.type or code != instance.code):
        holding = records_holding(instance)
        count = holding.count() if holding is not None else 0
        if count:
            name = "type" if field_type != instance.type else "code"
            message = (_("The type cannot change once records hold values for this field "
                         "(%(count)d do); add a new field instead.") if name == "type" else
                       _("The code cannot change once records hold values for this field "
                         "(%(count)d do)."))
            errors.setdefault(name, []).append(message % {"count": count})
    cleaned = {"entity": entity, "code": code, "type": field_type}
    if "type" not in errors:
        try:
            cleaned["choices"] = clean_choices(
                data.get("choices", instance.choices if instance else []), field_type)
        except ValidationError as error:
            errors["choices"] = list(error.messages)
    currency = str(data.get("currency", instance.currency if instance else "") or "")
    currency = currency.strip().upper()
    if field_type != CustomField.Type.MONEY:
        currency = ""  # only money carries a currency
    elif currency and not CURRENCY_PATTERN.match(currency):
        errors["currency"] = [_("Use a three-letter ISO 4217 code, such as CNY or USD.")]
    cleaned["currency"] = currency
    _errors(errors)
    return cleaned


def next_position(entity: str) -> int:
    last = CustomField.objects.filter(entity=entity).aggregate(models.Max("position"))
    return (last["position__max"] or 0) + 1


class _JsonbMinus(Func):
    """``custom - 'code'``: the JSON object without one key, computed in the database."""

    arg_joiner = " - "
    template = "%(expressions)s"
    output_field = models.JSONField()


@transaction.atomic
def delete_definition(definition: CustomField) -> int:
    """Delete a custom field, its values on every record (one UPDATE) and its restriction.
    Returns how many records lost a value."""
    holding = records_holding(definition)
    purged = 0
    if holding is not None:
        purged = holding.update(custom=_JsonbMinus(models.F("custom"), Value(definition.code)))
    FieldRestriction.objects.filter(entity=definition.entity,
                                    field=access.custom_key(definition.code)).delete()
    definition.delete()
    return purged


def follow_code_change(definition: CustomField, old_code: str) -> None:
    """Keep a field hidden under its new code (a code changes only while no record holds a
    value, so there are no values to move)."""
    if old_code != definition.code:
        FieldRestriction.objects.filter(entity=definition.entity,
                                        field=access.custom_key(old_code)).update(
            field=access.custom_key(definition.code))


def restrictable_fields(entity: str) -> list[tuple[str, str]]:
    """(name, label) of the fields of ``entity`` that can be hidden from roles: its built-in
    fields that are not structural, then its custom fields."""
    model = entities.model_for(entity)
    if model is None:
        return []
    fields = access.hideable_fields(model)
    fields += [(access.custom_key(definition.code), definition.display_label)
               for definition in access.definitions(model)]
    return fields


def clean_restriction(data: dict, instance: FieldRestriction | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    entity = data.get("entity", instance.entity if instance else "")
    field = data.get("field", instance.field if instance else "")
    hidden_from = data.get("hidden_from", instance.hidden_from if instance else [])
    if entities.model_for(entity) is None:
        errors["entity"] = [_("Choose one of the record types: %(types)s.")
                            % {"types": ", ".join(name for name, _label in entities.choices())}]
    elif field not in dict(restrictable_fields(entity)):
        errors["field"] = [_("“%(field)s” is not a field that can be hidden: give a field of "
                             "the record (not id, owner, team, name or dates) or "
                             "custom.<code>.") % {"field": field}]
    elif FieldRestriction.objects.filter(entity=entity, field=field).exclude(
            pk=getattr(instance, "pk", None)).exists():
        errors["field"] = [_("This field is already hidden from some roles; change that "
                             "entry instead.")]
    if not isinstance(hidden_from, list) or not all(isinstance(role, str)
                                                    for role in hidden_from):
        errors["hidden_from"] = [_("Give a list of role codes.")]
    else:
        wrong = sorted(set(hidden_from) - set(RESTRICTABLE_ROLES))
        if wrong:
            errors["hidden_from"] = [_("Not roles a field can be hidden from: %(wrong)s. "
                                       "Choose among %(roles)s.")
                                     % {"wrong": ", ".join(wrong),
                                        "roles": ", ".join(RESTRICTABLE_ROLES)}]
    _errors(errors)
    return {"entity": entity, "field": field, "hidden_from": sorted(set(hidden_from))}
