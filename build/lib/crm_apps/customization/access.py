"""Which fields a user may see: custom field definitions and fields hidden from roles."""

from core.permissions import roles_of
from core.roles import TENANT_ADMIN
from crm_apps.customization.entities import entity_of
from crm_apps.customization.models import CustomField, FieldRestriction

CUSTOM_PREFIX = "custom."
# Fields no role can be kept from: who owns a record decides who sees it, and a record must
# stay nameable and datable everywhere it is listed.
STRUCTURAL = frozenset({"id", "owner", "team", "created", "updated", "deleted_at", "custom",
                        "name", "first_name", "last_name"})
# Read-only fields computed from another field: hidden along with it.
DERIVED_FROM = {"domain": "website"}


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
    if not roles or TENANT_ADMIN in roles:
        return frozenset()  # a restriction applies to roles; with none there is none to apply
    entity = entity_of(model)
    cache = getattr(user, "_hidden_fields", None)
    if cache is None:
        cache = {}
        if user is not None:
            user._hidden_fields = cache
    if entity not in cache:
        hidden = {restriction.field
                  for restriction in FieldRestriction.objects.filter(entity=entity)
                  if roles and roles <= set(restriction.hidden_from)}
        names = {field.name for field in _model_of(model)._meta.get_fields()}
        hidden |= {derived for derived, source in DERIVED_FROM.items()
                   if source in hidden and derived in names}
        cache[entity] = frozenset(hidden)
    return cache[entity]


def _model_of(model_or_instance):
    return model_or_instance if isinstance(model_or_instance, type) else type(model_or_instance)


def is_tenant_admin(user) -> bool:
    return TENANT_ADMIN in roles_of(user)


def hideable_fields(model) -> list[tuple[str, str]]:
    """(name, verbose name) of the built-in fields of ``model`` that can be hidden."""
    model = _model_of(model)
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    return [(field.name, str(field.verbose_name)) for field in fields
            if field.editable and not field.primary_key and field.name not in STRUCTURAL]


def visible_changes(model, user, changes: dict) -> dict:
    """An audit entry's changes without the fields hidden from ``user``."""
    hidden = hidden_fields(model, user)
    if not hidden or not isinstance(changes, dict):
        return changes
    return {name: change for name, change in changes.items() if name not in hidden}


def visible_definitions(model, user) -> list[CustomField]:
    hidden = hidden_fields(model, user)
    return [field for field in definitions(model) if custom_key(field.code) not in hidden]
