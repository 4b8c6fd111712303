"""Template tags for custom fields and hidden fields on record pages.

``{% hidden_fields_for object request.user as hidden %}`` then ``{% if "phone" not in hidden %}``;
``{% custom_values object request.user as custom %}`` gives (label, shown value) of each custom
field the user may see; ``user|is_tenant_admin`` for admin-only links.
"""

from django import template

from crm_apps.customization import access, entities, values

register = template.Library()


def _model(record_or_entity):
    if isinstance(record_or_entity, str):
        return entities.model_for(record_or_entity)
    return record_or_entity


@register.simple_tag
def hidden_fields_for(record_or_entity, user) -> frozenset:
    """Names of the fields hidden from ``user`` on this kind of record."""
    model = _model(record_or_entity)
    return access.hidden_fields(model, user) if model is not None else frozenset()


@register.simple_tag
def custom_values(record, user) -> list[dict]:
    """The custom fields of ``record`` the user may see, labelled in the reader's language."""
    stored = getattr(record, "custom", None) or {}
    return [{"code": definition.code, "label": definition.display_label,
             "value": values.display(definition, stored.get(definition.code)),
             "type": definition.type}
            for definition in access.visible_definitions(record, user)]


@register.filter
def is_tenant_admin(user) -> bool:
    return access.is_tenant_admin(user)


@register.simple_tag
def visible_address(record, hidden) -> str:
    """The postal address of ``record`` from its parts the user may see ("" if none)."""
    def part(name):
        return "" if name in hidden else (getattr(record, name, "") or "").strip()

    town = " ".join(filter(None, (part("postal_code"), part("city"))))
    town = ", ".join(filter(None, (town, part("region"))))
    if part("country"):
        town = f"{town} ({part('country')})" if town else part("country")
    return "\n".join(filter(None, (part("street"), town)))
