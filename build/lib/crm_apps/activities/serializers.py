"""API representation of activities, with the rules of each kind."""

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible

Kind = Activity.Kind
# Fields only some kinds may fill in (and their empty values).
KIND_FIELDS = {
    "due": ((Kind.TASK,), None), "priority": ((Kind.TASK,), ""),
    "assignee": ((Kind.TASK,), None), "reminder_at": ((Kind.TASK,), None),
    "done_at": ((Kind.TASK,), None),
    "direction": ((Kind.CALL, Kind.EMAIL), ""), "duration_seconds": ((Kind.CALL,), None),
    "outcome": ((Kind.CALL,), ""),
    "start": ((Kind.MEETING,), None), "end": ((Kind.MEETING,), None),
    "place": ((Kind.MEETING,), ""), "attendees": ((Kind.MEETING,), []),
    "contact_attendees": ((Kind.MEETING,), []),
    "email_from": ((Kind.EMAIL,), ""), "email_to": ((Kind.EMAIL,), []),
    "sent_at": ((Kind.EMAIL,), None),
}


class ActivitySerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                                  required=False, allow_null=True)
    attendees = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                                   many=True, required=False)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(),
                                                 required=False, allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(),
                                                 required=False, allow_null=True)
    lead = serializers.PrimaryKeyRelatedField(
        queryset=apps.get_model("sales", "Lead").objects.all(), required=False,
        allow_null=True)
    contact_attendees = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(),
                                                           many=True, required=False)
    duration_seconds = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    email_to = serializers.ListField(child=serializers.EmailField(), required=False,
                                     max_length=50)

    class Meta:
        model = Activity
        fields = ["id", "kind", "subject", "body", "owner", "account", "contact", "lead", "due",
                  "priority", "assignee", "reminder_at", "reminded", "done_at", "direction",
                  "duration_seconds", "outcome", "start", "end", "place", "attendees",
                  "contact_attendees", "email_from", "email_to", "sent_at", "created",
                  "updated"]
        read_only_fields = ["reminded", "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only records the caller may see can be linked; others are "does not exist".
            for name, model in (("account", Account), ("contact", Contact),
                                ("lead", apps.get_model("sales", "Lead"))):
                fields[name].queryset = visible(model.objects.all(), request.user)
            fields["contact_attendees"].child_relation.queryset = visible(
                Contact.objects.all(), request.user)
        return fields

    def _value(self, attrs, name):
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            if name in ("attendees", "contact_attendees"):
                return list(getattr(self.instance, name).all())
            return getattr(self.instance, name)
        return KIND_FIELDS.get(name, (None, None))[1]

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError({"kind": _("The kind of an activity cannot "
                                                         "change.")})
        errors = {}
        for name, (owner_kinds, _empty) in KIND_FIELDS.items():
            if kind not in owner_kinds and name in attrs and attrs[name] not in (None, "", []):
                errors[name] = _("Only %(kind)s activities have this field.") % {
                    "kind": " / ".join(str(Kind(owner).label) for owner in owner_kinds)}
        if kind == Kind.EMAIL and self.instance is None:
            if not attrs.get("direction"):
                errors["direction"] = _("Say whether the e-mail came in or went out.")
            if not attrs.get("email_to"):
                errors["email_to"] = _("Give at least one recipient.")
        start, end = self._value(attrs, "start"), self._value(attrs, "end")
        if start and end and end < start:
            errors["end"] = _("A meeting cannot end before it starts.")
        account, contact = self._value(attrs, "account"), self._value(attrs, "contact")
        lead = self._value(attrs, "lead")
        if (account is not None and contact is not None and contact.account_id
                and contact.account_id != account.pk):
            errors["contact"] = _("This contact belongs to another account.")
        if account is None and contact is None and lead is None:
            user = self.context["request"].user
            owner = self._value(attrs, "owner") if ("owner" in attrs or self.instance) else user
            if kind != Kind.TASK or owner != user:
                errors["non_field_errors"] = [_("Link the activity to an account, a contact or "
                                                "a lead (only your own tasks may stand "
                                                "alone).")]
        if errors:
            raise serializers.ValidationError(errors)
        if "reminder_at" in attrs and self.instance is not None and (
                attrs["reminder_at"] != self.instance.reminder_at):
            attrs["reminded"] = False  # a new reminder time is reminded again
        return attrs

    def create(self, validated_data):
        # The creator owns a new activity unless the caller names another owner.
        validated_data.setdefault("owner", self.context["request"].user)
        return super().create(validated_data)
