"""List filters by custom field (``cf_<code>``, ``cf_<code>_min``, ``cf_<code>_max``) and the
refusal of filters on fields hidden from the user, for any django-filter FilterSet."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _

from core.audit import current_actor
from crm_apps.customization import access, values
from crm_apps.customization.models import CustomField

EMPTY = ([], (), {}, "", None)
Type = CustomField.Type
RANGED = {Type.NUMBER: "numeric", Type.MONEY: "numeric", Type.DATE: "date"}


class HiddenFieldInput(forms.Field):
    """Accepts nothing but blank: the value of a hidden field cannot be filtered on."""

    def clean(self, value):
        if value in EMPTY:
            return None
        raise ValidationError(_("This field is hidden from your role; you cannot filter by it."),
                              code="hidden")


class RefusedFilter(django_filters.Filter):
    """Stands in for a filter on a hidden field: the API answers 400, a page ignores it."""

    field_class = HiddenFieldInput

    def filter(self, qs, value):
        return qs


class _Stored(models.Func):
    """The text of a custom value cast to a comparable database type."""

    template = "((%(expressions)s)::%(db_type)s)"


class CustomValueFilter(django_filters.Filter):
    """``cf_<code>``: text contains (any case), a multiple choice holds the value, anything
    else equals it (compared in its stored form, so 1,000 finds 1000)."""

    def __init__(self, definition: CustomField, *, field_class, **kwargs):
        self.definition = definition
        self.field_class = field_class  # the form field that checks the query value
        super().__init__(field_name=access.custom_key(definition.code), **kwargs)

    def filter(self, qs, value):
        if value in EMPTY:
            return qs
        definition = self.definition
        if definition.type == Type.TEXT:
            return qs.alias(**{self._alias: KeyTextTransform(definition.code, "custom")}).filter(
                **{f"{self._alias}__icontains": str(value).strip()})
        try:
            stored = values.parse(_optional(definition), value)
        except ValidationError:
            return qs.none()
        # Containment uses the GIN index; for a multiple choice, [value] is "holds value".
        return qs.filter(custom__contains={definition.code: stored})

    @property
    def _alias(self):
        return f"_custom_{self.definition.code}"


class CustomRangeFilter(django_filters.Filter):
    """``cf_<code>_min`` / ``_max`` of a number, money or date field (bounds included)."""

    def __init__(self, definition: CustomField, lookup_expr: str, *, field_class, **kwargs):
        self.definition = definition
        self.field_class = field_class
        super().__init__(field_name=access.custom_key(definition.code), lookup_expr=lookup_expr,
                         **kwargs)

    def filter(self, qs, value):
        if value in EMPTY:
            return qs
        definition = self.definition
        alias = f"_custom_{definition.code}_{RANGED[definition.type]}"
        output = models.DateField() if definition.type == Type.DATE else models.DecimalField()
        stored = _Stored(KeyTextTransform(definition.code, "custom"),
                         db_type=RANGED[definition.type], output_field=output)
        return qs.alias(**{alias: stored}).filter(**{f"{alias}__{self.lookup_expr}": value})


def _optional(definition: CustomField) -> CustomField:
    """The definition as a filter reads it: a blank filter value is no filter, not an error."""
    if not definition.required:
        return definition
    copy = CustomField(**{field.attname: getattr(definition, field.attname)
                          for field in CustomField._meta.concrete_fields})
    copy.required = False
    return copy


def custom_filters(definition: CustomField) -> dict[str, django_filters.Filter]:
    """The filters of one custom field by their query-string names."""
    name = f"cf_{definition.code}"
    label = definition.display_label
    if definition.type in (Type.CHOICE, Type.MULTI_CHOICE):
        choices = [(choice["value"], definition.choice_label(choice["value"]))
                   for choice in definition.choices]
        exact = CustomValueFilter(definition, label=label, field_class=forms.ChoiceField,
                                  choices=choices)
    elif definition.type in (Type.NUMBER, Type.MONEY):
        exact = CustomValueFilter(definition, label=label, field_class=forms.DecimalField)
    elif definition.type == Type.DATE:
        exact = CustomValueFilter(definition, label=label, field_class=forms.DateField)
    else:
        exact = CustomValueFilter(definition, label=label, field_class=forms.CharField)
    filters = {name: exact}
    if definition.type in RANGED:
        field_class = forms.DateField if definition.type == Type.DATE else forms.DecimalField
        filters[f"{name}_min"] = CustomRangeFilter(definition, "gte", field_class=field_class,
                                                   label=_("%(label)s from") % {"label": label})
        filters[f"{name}_max"] = CustomRangeFilter(definition, "lte", field_class=field_class,
                                                   label=_("%(label)s up to") % {"label": label})
    return filters


class CustomizableFilterSet(django_filters.FilterSet):
    """A FilterSet of a registered record: adds the ``cf_*`` filters of its custom fields and
    turns every filter on a field hidden from the user into a refusal."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        model = self._meta.model
        # Pages may build the FilterSet without the request: the signed-in user is then the
        # one the request middleware made the actor.
        self.user = getattr(request, "user", None) or current_actor()
        for definition in access.definitions(model):
            self.filters.update(custom_filters(definition))
        hidden = access.hidden_fields(model, self.user)
        if hidden:
            for name, declared in list(self.filters.items()):
                root = (declared.field_name or "").split("__")[0]
                if root in hidden:
                    self.filters[name] = RefusedFilter(field_name=declared.field_name,
                                                       label=declared.label)
