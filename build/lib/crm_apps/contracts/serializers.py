"""API representation of contracts, with their rules (dates, value, links to visible records)."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account, Contact, Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible

# Set by renewal only: a contract is "renewed" when its next term exists.
SETTABLE_STATUSES = [(value, label) for value, label in Contract.Status.choices
                     if value != Contract.Status.RENEWED]


class ContractSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False,
                                                 allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0,
                                     coerce_to_string=True)
    status = serializers.ChoiceField(choices=Contract.Status.choices, required=False)
    renewal_notice_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    next_term = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = ["id", "number", "name", "account", "contact", "start", "end", "value",
                  "currency", "billing_period", "auto_renew", "renewal_notice_days", "status",
                  "previous", "next_term", "renewal_reminded_at", "renewal_task", "notes",
                  "owner", "team", "created", "updated"]
        read_only_fields = ["number", "previous", "renewal_reminded_at", "renewal_task",
                            "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only records the caller may see can be linked; others are "does not exist".
            for name, model in (("account", Account), ("contact", Contact)):
                fields[name].queryset = visible(model.objects.all(), request.user)
        return fields

    def get_next_term(self, contract) -> int | None:
        following = [term.pk for term in contract.renewals.all() if term.deleted_at is None]
        return following[0] if following else None

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise serializers.ValidationError(_("Give a three-letter ISO 4217 code, "
                                                "such as CNY."))
        return value

    def validate_status(self, value: str) -> str:
        current = getattr(self.instance, "status", None)
        if value == Contract.Status.RENEWED and current != Contract.Status.RENEWED:
            raise serializers.ValidationError(_("Renew the contract to give it a next term."))
        return value

    def _value(self, attrs, name):
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)

    def validate(self, attrs):
        errors = {}
        start, end = self._value(attrs, "start"), self._value(attrs, "end")
        if start and end and end < start:
            errors["end"] = [_("A contract cannot end before it starts.")]
        account, contact = self._value(attrs, "account"), self._value(attrs, "contact")
        if account is not None and contact is not None and contact.account_id != account.pk:
            errors["contact"] = [_("This contact belongs to another account.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        # The creator owns a new contract unless the caller names another owner.
        validated_data.setdefault("owner", self.context["request"].user)
        return super().create(validated_data)
