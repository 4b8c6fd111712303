"""API representation of tickets, their messages and files, canned replies and assignment rules."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm_apps.customers.models import Account, Contact, Tag, Team
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible
from crm_apps.service.models import (
    CannedReply,
    Ticket,
    TicketAssignmentRule,
    TicketAttachment,
    TicketMessage,
)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "content_type", "size", "url", "created"]

    def get_url(self, attachment) -> str:
        return reverse("api:ticket-attachment", args=[attachment.message.ticket_id, attachment.pk])


class TicketMessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "visibility", "body", "author", "author_contact", "author_email",
                  "channel", "message_id", "in_reply_to", "created", "attachments"]
        read_only_fields = fields


class NewMessageSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=100_000, trim_whitespace=False)
    visibility = serializers.ChoiceField(choices=TicketMessage.Visibility.choices,
                                         default=TicketMessage.Visibility.PUBLIC)
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        default=list, max_length=20)


class VisibleRecordsMixin:
    """Accounts, contacts and tickets the caller cannot see are "does not exist"."""

    visible_fields = {"account": Account, "contact": Contact}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            for name, model in self.visible_fields.items():
                if name in fields:
                    fields[name].queryset = visible(model.objects.all(), request.user)
        return fields


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "number", "subject", "description", "channel", "kind", "priority",
                  "status", "account", "contact", "requester_email", "owner", "team", "tags",
                  "product", "order", "severity", "root_cause", "corrective_action",
                  "signed_off_by", "signed_off_at", "merged_into", "linked", "sla_policy",
                  "first_response_due", "resolution_due", "first_responded_at",
                  "resolved_at", "closed_at", "escalated_at", "sla_paused_at",
                  "sla_paused_minutes", "created", "updated"]
        read_only_fields = fields


class NewTicketSerializer(VisibleRecordsMixin, serializers.Serializer):
    subject = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=100_000)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices,
                                      default=Ticket.Channel.STAFF)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, default=Ticket.Kind.QUESTION)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices,
                                       default=Ticket.Priority.NORMAL)
    severity = serializers.ChoiceField(choices=Ticket.Severity.choices, required=False,
                                       allow_blank=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False,
                                                 allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False,
                                                 allow_null=True)
    requester_email = serializers.EmailField(required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True,
                                              required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False,
                                        default=list, max_length=20)

    def validate(self, attrs):
        account, contact = attrs.get("account"), attrs.get("contact")
        if account is not None and contact is not None and contact.account_id != account.pk:
            raise serializers.ValidationError(
                {"contact": [_("This contact belongs to another account.")]})
        return attrs


class TicketChangeSerializer(serializers.Serializer):
    """What a partial update may change; each goes through the desk's rules."""

    subject = serializers.CharField(max_length=300, required=False)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, required=False)
    severity = serializers.ChoiceField(choices=Ticket.Severity.choices, required=False,
                                       allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    corrective_action = serializers.CharField(required=False, allow_blank=True,
                                              max_length=20_000)
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False,
                                              allow_null=True)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True,
                                              required=False)


class OtherTicketSerializer(serializers.Serializer):
    """Another ticket the caller sees (the one to merge into, or to link)."""

    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["ticket"].queryset = visible(Ticket.objects.all(), request.user)
        return fields


class CannedReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedReply
        fields = ["id", "title", "body", "language", "created_by"]
        read_only_fields = ["created_by"]


class TicketAssignmentRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketAssignmentRule
        fields = ["id", "name", "position", "active", "kind", "customer_tier", "team", "method",
                  "last_assigned"]
        read_only_fields = ["last_assigned"]
