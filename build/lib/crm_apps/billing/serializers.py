"""API representation of invoices with their lines (writable while a draft), payments, refunds
and statements."""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm_apps.billing import services
from crm_apps.billing.models import Invoice, InvoiceLine, Payment, Refund
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.visibility import visible

HUNDRED = Decimal("100")
MONEY = {"max_digits": 14, "decimal_places": 2}


def percent_field(**kwargs):
    return serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0"),
                                    max_value=HUNDRED, required=False, **kwargs)


class InvoiceLineSerializer(serializers.ModelSerializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2,
                                        min_value=Decimal("0.01"), required=False)
    unit_price = serializers.DecimalField(min_value=Decimal("0"), **MONEY)
    discount_percent = percent_field()
    tax_rate = percent_field()

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "description", "quantity", "unit_price", "discount_percent",
                  "tax_rate", "net_amount", "tax_amount", "total_amount"]
        read_only_fields = ["id", "position", "net_amount", "tax_amount", "total_amount"]


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "reason", "stripe_refund_id", "refunded_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "invoice", "amount", "method", "reference", "received_at",
                  "stripe_payment", "refunds"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice. Its number, dates and status change only through its actions (issue, void,
    payments, refunds); its fields and lines only while it is a draft. Given ``lines``, an
    update replaces all of them."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False,
                                                 allow_null=True)
    currency = serializers.CharField(max_length=3, required=False)
    discount_percent = percent_field()
    lines = InvoiceLineSerializer(many=True, required=False)
    payments = PaymentSerializer(many=True, read_only=True)
    open_amount = serializers.DecimalField(read_only=True, max_digits=16, decimal_places=2)

    class Meta:
        model = Invoice
        fields = ["id", "number", "account", "contact", "order", "contract", "period_start",
                  "period_end", "status", "currency", "language", "issue_date", "due_date",
                  "discount_percent", "notes", "lines", "subtotal", "discount_total",
                  "tax_total", "total", "paid_total", "refunded_total", "open_amount",
                  "payments", "sent_at", "voided_at", "created", "updated"]
        read_only_fields = ["number", "order", "contract", "period_start", "period_end",
                            "status", "issue_date", "subtotal", "discount_total", "tax_total",
                            "total", "paid_total", "refunded_total", "sent_at", "voided_at",
                            "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only records the caller may see can be billed; others are "does not exist".
            for name, model in (("account", Account), ("contact", Contact)):
                fields[name].queryset = visible(model.objects.all(), request.user)
        return fields

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise serializers.ValidationError(_("Give a three-letter ISO 4217 code, "
                                                "such as CNY."))
        return value

    def validate_lines(self, lines):
        # A partial update makes nested fields optional too; a line always needs these.
        errors = [{name: [_("This field is required.")]
                   for name in ("description", "unit_price") if line.get(name) in (None, "")}
                  for line in lines]
        if any(errors):
            raise serializers.ValidationError(errors)
        try:
            services.check_sizes(lines)
        except services.AmountError as error:
            raise serializers.ValidationError(str(error)) from None
        return lines

    def validate(self, attrs):
        account = attrs.get("account", getattr(self.instance, "account", None))
        contact = attrs.get("contact", getattr(self.instance, "contact", None))
        errors = {}
        if account is None:
            errors["account"] = [_("Choose the account the invoice is for.")]
        if account is not None and contact is not None and contact.account_id != account.pk:
            errors["contact"] = [_("This contact belongs to another account.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        return services.create_manual(**validated_data)

    def update(self, instance, validated_data):
        lines = validated_data.pop("lines", None)
        return services.update_draft(instance, lines=lines, **validated_data)


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    method = serializers.ChoiceField(choices=[choice for choice in Payment.Method.choices
                                              if choice[0] != Payment.Method.STRIPE])
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    received_at = serializers.DateTimeField(required=False)


class RefundInputSerializer(serializers.Serializer):
    payment = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class StatementEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    invoice = serializers.IntegerField(source="invoice.pk")
    number = serializers.CharField(source="invoice.number")
    reference = serializers.CharField()
    debit = serializers.DecimalField(max_digits=16, decimal_places=2)
    credit = serializers.DecimalField(max_digits=16, decimal_places=2)
    balance = serializers.DecimalField(max_digits=16, decimal_places=2)


class StatementSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account.pk")
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    opening_balance = serializers.DecimalField(max_digits=16, decimal_places=2)
    invoiced = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=16, decimal_places=2)
    closing_balance = serializers.DecimalField(max_digits=16, decimal_places=2)
    entries = StatementEntrySerializer(many=True)


class StatementQuerySerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end is before the start.")]})
        return attrs
