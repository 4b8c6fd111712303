"""Which fields a user may see: custom field definitions and fields hidden from roles."""

from core.permissions import roles_of
from core.roles import TENANT_ADMIN
from crm_apps.customization.entities import entity_of
from crm_apps.customization.models import CustomField, FieldRestriction

CUSTOM_PREFIX = "custom."


def custom_key(code: str) -> str:
    """The name of a custom field in restrictions, list columns and exports."""
    return f"{CUSTOM_PREFIX}{code}"


def definitions(model) -> list[CustomField]:
    """The custom fields of ``model`` (or of its rows), in their order."""
    return list(CustomField.objects.filter(entity=entity_of(model)))


def hidden_fields(model, user) -> frozenset[str]:
    """Names of the fields of ``model`` that ``user`` may not see (``custom.<code>`` for custom
    ones). Roles add up: a field is hidden only if every role of the user is kept from it, and
    tenant admins see everything. Read once per request and kept on the user object."""
    roles = roles_of(user)
    if TENANT_ADMIN in roles:
        return frozenset()
    entity = entity_of(model)
    cache = getattr(user, "_hidden_fields", None)
    if cache is None:
        cache = {}
        if user is not None:
            user._hidden_fields = cache
    if entity not in cache:
        cache[entity] = frozenset(
            restriction.field
            for restriction in FieldRestriction.objects.filter(entity=entity)
            if roles and roles <= set(restriction.hidden_from))
    return cache[entity]


def visible_definitions(model, user) -> list[CustomField]:
    hidden = hidden_fields(model, user)
    return [field for field in definitions(model) if custom_key(field.code) not in hidden]
