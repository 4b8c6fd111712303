"""Custom fields in the create and edit forms of a record: typed inputs named ``cf_<code>``,
checked with values.parse, merged into the stored values on save."""

from django import forms
from django.core.exceptions import ValidationError

from crm_apps.customization import access, values
from crm_apps.customization.models import CustomField

Type = CustomField.Type
PREFIX = "cf_"


class CustomValueField(forms.Field):
    """One custom field; ``clean`` gives the stored form (None for blank)."""

    def __init__(self, definition: CustomField, **kwargs):
        self.definition = definition
        self.currency = definition.currency if definition.type == Type.MONEY else ""
        super().__init__(label=definition.display_label, required=definition.required,
                         widget=_widget(definition), **kwargs)

    def clean(self, value):
        try:
            return values.parse(self.definition, value)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class CustomChoiceField(CustomValueField):
    """A choice or multiple choice: the widget lists the choices in the reader's language."""

    def __init__(self, definition: CustomField, **kwargs):
        super().__init__(definition, **kwargs)
        labelled = [(choice["value"], definition.choice_label(choice["value"]))
                    for choice in definition.choices]
        if definition.type == Type.CHOICE:
            labelled = [("", "—"), *labelled]
        self.widget.choices = labelled


def _widget(definition: CustomField) -> forms.Widget:
    if definition.type == Type.NUMBER:
        return forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    if definition.type == Type.MONEY:
        return forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
    if definition.type == Type.DATE:
        return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if definition.type == Type.CHOICE:
        return forms.Select()
    if definition.type == Type.MULTI_CHOICE:
        return forms.CheckboxSelectMultiple()
    return forms.TextInput(attrs={"maxlength": values.MAX_TEXT})


def field_for(definition: CustomField) -> CustomValueField:
    if definition.type in (Type.CHOICE, Type.MULTI_CHOICE):
        return CustomChoiceField(definition)
    return CustomValueField(definition)


class CustomizableFormMixin:
    """For a ModelForm of a registered record, built with ``user``: drops the fields hidden
    from the user (a save keeps their stored values) and adds the custom fields they may see."""

    def add_custom_fields(self, user) -> None:
        model = self._meta.model
        for name in access.hidden_fields(model, user):
            self.fields.pop(name, None)
        self.custom_definitions = access.visible_definitions(model, user)
        stored = getattr(self.instance, "custom", None) or {}
        for definition in self.custom_definitions:
            name = PREFIX + definition.code
            self.fields[name] = field_for(definition)
            if definition.code in stored:
                self.initial.setdefault(name, stored[definition.code])

    @property
    def custom_fields(self) -> list:
        """The bound custom fields, in their order, for the template."""
        return [self[PREFIX + definition.code] for definition in self.custom_definitions]

    def merged_custom(self) -> dict:
        """The stored values with this form's custom fields applied; values of fields the
        user cannot see are kept as they are."""
        merged = dict(getattr(self.instance, "custom", None) or {})
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(PREFIX + definition.code)
            if value is None:
                merged.pop(definition.code, None)
            else:
                merged[definition.code] = value
        return merged
