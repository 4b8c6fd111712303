"""What the API of a customisable record needs: the ``custom`` object and hidden fields."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm_apps.customization import access, values

HIDDEN_MESSAGE = "This field is hidden from your role; it cannot be written."

CUSTOM_SCHEMA = {
    "type": "object",
    "description": (
        "Values of the tenant's custom fields, keyed by field code (see /api/v1/custom-fields/). "
        "Read: text, number and money as strings (numbers and money as exact decimal strings, "
        "such as \"1250.5\" and \"1250.50\"), dates as YYYY-MM-DD, a choice as its value, a "
        "multiple choice as a list of values; a field without a value is left out. Write: "
        "numbers may also be JSON numbers, choices may be given by value or label; codes left "
        "out keep their values (PATCH and PUT merge), null or \"\" clears one. Fields hidden "
        "from the caller's roles are neither shown nor writable."),
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "number"},
                  {"type": "array", "items": {"type": "string"}}],
        "nullable": True,
    },
}


@extend_schema_field(CUSTOM_SCHEMA)
class CustomValuesField(serializers.Field):
    """The record's ``custom`` JSON as the caller may see it; written through values.parse."""

    default_error_messages = {
        "not_an_object": "Give an object of values keyed by custom field code.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def _definitions(self):
        """(every definition by code, codes the caller may see), read once per serializer."""
        cached = getattr(self, "_cached_definitions", None)
        if cached is None:
            model = self.parent.Meta.model
            everything = {definition.code: definition
                          for definition in access.definitions(model)}
            request = self.context.get("request")
            shown = {definition.code
                     for definition in access.visible_definitions(
                         model, getattr(request, "user", None))}
            cached = self._cached_definitions = (everything, shown)
        return cached

    def visible_definitions(self):
        everything, shown = self._definitions()
        return [definition for code, definition in everything.items() if code in shown]

    def to_representation(self, stored):
        stored = stored or {}
        return {definition.code: stored[definition.code]
                for definition in self.visible_definitions() if definition.code in stored}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self.fail("not_an_object")
        everything, shown = self._definitions()
        parsed, errors = {}, {}
        for code, raw in data.items():
            definition = everything.get(code)
            if definition is None:
                errors[code] = ["No custom field has this code."]
            elif code not in shown:
                errors[code] = [HIDDEN_MESSAGE]
            else:
                try:
                    parsed[code] = values.parse(definition, raw)
                except DjangoValidationError as error:
                    errors[code] = list(error.messages)
        if errors:
            raise serializers.ValidationError(errors)
        return parsed


class CustomizableSerializerMixin:
    """For a ModelSerializer of a registered record with a ``custom`` field: drops the fields
    hidden from the caller, refuses writes to them, merges custom values into the stored
    ones and enforces required custom fields."""

    def hidden_names(self) -> frozenset:
        request = self.context.get("request")
        return access.hidden_fields(self.Meta.model, getattr(request, "user", None))

    def get_fields(self):
        fields = super().get_fields()
        for name in self.hidden_names():
            fields.pop(name, None)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            refused = sorted(name for name in data if name in self.hidden_names())
            if refused:
                raise serializers.ValidationError({name: [HIDDEN_MESSAGE] for name in refused})
        attrs = super().to_internal_value(data)
        if "custom" in attrs or self.instance is None:
            attrs["custom"] = self._merged_custom(attrs.get("custom", {}))
        return attrs

    def _merged_custom(self, changes: dict) -> dict:
        stored = dict(getattr(self.instance, "custom", None) or {})
        for code, value in changes.items():
            if value is None:
                stored.pop(code, None)
            else:
                stored[code] = value
        if self.instance is None:
            # Blanking a required field on update is refused by values.parse already.
            missing = {definition.code: ["This field is required."]
                       for definition in self.fields["custom"].visible_definitions()
                       if definition.required and definition.code not in stored}
            if missing:
                raise serializers.ValidationError({"custom": missing})
        return stored
