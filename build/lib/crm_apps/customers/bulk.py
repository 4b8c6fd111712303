"""Bulk actions on a selection of records: reassign owner, add tags, delete (soft)."""

from django.db import transaction
from rest_framework import serializers

from crm_apps.customers.models import Tag
from crm_apps.customers.serializers import staff_users
from crm_apps.customers.visibility import visible

MAX_SELECTION = 5000


class BulkActionSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                max_length=MAX_SELECTION)
    action = serializers.ChoiceField(choices=["reassign", "tag", "delete"])
    owner = serializers.PrimaryKeyRelatedField(queryset=staff_users().distinct(),
                                               required=False)
    tags = serializers.SlugRelatedField(many=True, slug_field="name", required=False,
                                        queryset=Tag.objects.all())

    def validate(self, attrs):
        if attrs["action"] == "reassign" and "owner" not in attrs:
            raise serializers.ValidationError({"owner": "Choose the new owner."})
        if attrs["action"] == "tag" and not attrs.get("tags"):
            raise serializers.ValidationError({"tags": "Choose at least one tag."})
        return attrs


@transaction.atomic
def apply(model, user, data: dict) -> dict:
    """Apply the action to the selected records ``user`` may see; others are skipped.
    Records are saved one by one so the audit trail has an entry for each."""
    records = list(visible(model.objects.filter(pk__in=data["ids"]), user)
                   .select_for_update(of=("self",)))
    for record in records:
        if data["action"] == "reassign":
            record.owner = data["owner"]
            record.save(update_fields=["owner", "updated"])
        elif data["action"] == "tag":
            record.tags.add(*data["tags"])
        else:
            record.soft_delete()
    return {"action": data["action"], "changed": len(records),
            "skipped": len(set(data["ids"])) - len(records)}
