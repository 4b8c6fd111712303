"""API representations of customer records, validated field by field."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.models import AuditEntry
from core.roles import STAFF_ROLES
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag, Team
from crm_apps.customization.drf import CustomizableSerializerMixin, CustomValuesField


def staff_users():
    return get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)


class RecordSerializer(CustomizableSerializerMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(), required=False,
                                               allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    tags = serializers.SlugRelatedField(many=True, slug_field="name", required=False,
                                        queryset=Tag.objects.all())
    classes = serializers.SlugRelatedField(many=True, slug_field="name", required=False,
                                           queryset=CustomerClass.objects.all())
    custom = CustomValuesField()

    def create(self, validated_data):
        # The creator owns a new record unless the caller names another owner.
        validated_data.setdefault("owner", self.context["request"].user)
        return super().create(validated_data)


class AccountSerializer(RecordSerializer):
    """A company. Fields hidden from the caller's roles are left out and cannot be written."""

    parent = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False,
                                                allow_null=True)

    class Meta:
        model = Account
        fields = ["id", "name", "industry", "size", "tier", "website", "domain", "phone",
                  "street", "city", "region", "postal_code", "country", "parent",
                  "territory", "annual_revenue", "owner", "team", "tags", "classes", "custom",
                  "created", "updated"]
        read_only_fields = ["domain", "created", "updated"]
        extra_kwargs = {"annual_revenue": {"min_value": 0}}

    def validate_country(self, value):
        if value and (len(value) != 2 or not value.isalpha()):
            raise serializers.ValidationError("Use a two-letter ISO 3166 code, such as CN.")
        return value.upper()

    def validate_parent(self, parent):
        if parent is not None and self.instance is not None:
            node = parent
            while node is not None:  # an account may not end up its own ancestor
                if node.pk == self.instance.pk:
                    raise serializers.ValidationError("An account cannot be its own parent.")
                node = node.parent
        return parent


class ContactSerializer(RecordSerializer):
    """A person. Fields hidden from the caller's roles are left out and cannot be written."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False,
                                                 allow_null=True)
    other_emails = serializers.ListField(child=serializers.EmailField(), required=False)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "full_name", "account", "email",
                  "other_emails", "phone", "mobile", "title", "lifecycle_stage",
                  "email_consent", "consent_date", "consent_source", "owner", "team", "tags",
                  "classes", "custom", "created", "updated"]
        read_only_fields = ["created", "updated"]

    def validate_other_emails(self, value):
        return sorted({email.lower() for email in value})  # matched exactly for duplicates

    def validate(self, attrs):
        first = attrs.get("first_name", getattr(self.instance, "first_name", ""))
        last = attrs.get("last_name", getattr(self.instance, "last_name", ""))
        email = attrs.get("email", getattr(self.instance, "email", ""))
        if not (first or last or email):
            raise serializers.ValidationError("Give the contact a name or an e-mail address.")
        if attrs.get("email_consent") and not attrs.get("consent_source") and not (
                self.instance and self.instance.consent_source):
            raise serializers.ValidationError(
                {"consent_source": "Say where the consent to e-mail came from."})
        return attrs


class TeamSerializer(serializers.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                              required=False, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(), many=True,
                                                 required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "lead", "members"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class CustomerClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerClass
        fields = ["id", "name", "description"]


class AuditEntrySerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", read_only=True, default=None)

    class Meta:
        model = AuditEntry
        fields = ["id", "record_type", "record_id", "action", "actor", "actor_email", "at",
                  "changes"]
        read_only_fields = fields
