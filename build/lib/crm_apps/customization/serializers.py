"""API representations of custom field definitions and hidden fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from crm_apps.customization import rules
from crm_apps.customization.models import CustomField, FieldRestriction


def _checked(check, attrs, instance):
    try:
        return check(attrs, instance)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.message_dict) from None


class CustomFieldChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    label_zh_hans = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CustomFieldSerializer(serializers.ModelSerializer):
    entity = serializers.CharField(
        help_text="The record type, such as customers.account or customers.contact.")
    code = serializers.CharField(
        max_length=40, help_text="Lowercase letters, digits and underscores: the key of the "
                                 "value in the record's `custom` object and of the `cf_<code>` "
                                 "filters.")
    type = serializers.CharField(help_text="One of: " + ", ".join(CustomField.Type.values))
    choices = CustomFieldChoiceSerializer(many=True, required=False,
                               help_text="For choice and multi_choice fields (at least one).")
    currency = serializers.CharField(
        max_length=10, required=False, allow_blank=True,
        help_text="For money fields: an ISO 4217 code such as CNY (other types ignore it).")
    display_label = serializers.CharField(read_only=True)

    class Meta:
        model = CustomField
        fields = ["id", "entity", "code", "label", "label_zh_hans", "display_label", "type",
                  "choices", "currency", "required", "show_in_list", "position", "created"]
        read_only_fields = ["created"]
        extra_kwargs = {"position": {"required": False}}
        validators = []  # rules.clean_definition says which field clashes, and how

    def validate(self, attrs):
        if "choices" in attrs:
            attrs["choices"] = [dict(choice) for choice in attrs["choices"]]
        attrs.update(_checked(rules.clean_definition, attrs, self.instance))
        if self.instance is None and "position" not in attrs:
            attrs["position"] = rules.next_position(attrs["entity"])
        return attrs

    def update(self, instance, validated_data):
        old_code = instance.code
        definition = super().update(instance, validated_data)
        rules.follow_code_change(definition, old_code)
        return definition


class FieldRestrictionSerializer(serializers.ModelSerializer):
    entity = serializers.CharField(help_text="The record type, such as customers.account.")
    field = serializers.CharField(
        help_text="A field of the record (such as annual_revenue) or custom.<code>.")
    hidden_from = serializers.ListField(
        child=serializers.CharField(), help_text="Role codes: " + ", ".join(
            rules.RESTRICTABLE_ROLES) + ". Tenant admins always see every field.")

    class Meta:
        model = FieldRestriction
        fields = ["id", "entity", "field", "hidden_from"]
        validators = []  # rules.clean_restriction names the clash

    def validate(self, attrs):
        attrs.update(_checked(rules.clean_restriction, attrs, self.instance))
        return attrs

