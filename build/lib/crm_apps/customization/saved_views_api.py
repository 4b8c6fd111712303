"""Saved list views over the API (/api/v1/saved-views/): own and shared ones, per record type."""

from django.db.models import Q
from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from core.permissions import IsTenantStaff, has_role
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customization import access, entities
from crm_apps.customization.models import SavedView

MAX_QUERY = 2000
MAX_COLUMNS = 60
# Parameters that belong to one visit of a list, not to a view.
NOT_SAVED = ("page", "view", "columns")
NOT_COLUMNS = {"id", "deleted_at", "custom", "updated"}


def can_share(user) -> bool:
    return has_role(user, MANAGER, TENANT_ADMIN)


def known_columns(model, user) -> set[str]:
    """Column keys a view of ``model`` may name for ``user``: the record's fields and custom
    fields (``custom.<code>``), never one hidden from the user."""
    names = {field.name for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
             if field.name not in NOT_COLUMNS}
    names |= {access.custom_key(definition.code) for definition in access.definitions(model)}
    return names - access.hidden_fields(model, user)


def clean_query(query: str) -> str:
    """A list's query string without the parameters that are no filter or sort."""
    params = QueryDict(query, mutable=True)
    for name in NOT_SAVED:
        params.pop(name, None)
    return params.urlencode()


class SavedViewSerializer(serializers.ModelSerializer):
    entity = serializers.ChoiceField(choices=[], help_text="The record type, such as "
                                                            "customers.contact.")
    columns = serializers.ListField(child=serializers.CharField(max_length=120), required=False,
                                    max_length=MAX_COLUMNS,
                                    help_text="Column keys: field names or custom.<code>.")
    query = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY,
                                  help_text="Filters and sort as a query string, such as "
                                            "tier=gold&sort=-created.")
    owner = serializers.EmailField(source="owner.email", read_only=True)

    class Meta:
        model = SavedView
        fields = ["id", "entity", "name", "query", "columns", "shared", "owner", "created"]
        read_only_fields = ["created"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = entities.choices()

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Give the view a name.")
        return value

    def validate_query(self, value):
        return clean_query(value)

    def validate(self, attrs):
        user = self.context["request"].user
        instance = self.instance
        entity = attrs.get("entity", getattr(instance, "entity", None))
        if instance is not None and entity != instance.entity:
            raise serializers.ValidationError({"entity": "A view's record type cannot change."})
        model = entities.model_for(entity)
        unknown = [key for key in attrs.get("columns", []) if key not in known_columns(model,
                                                                                       user)]
        if unknown:
            raise serializers.ValidationError(
                {"columns": [f"Unknown columns: {', '.join(unknown)}."]})
        if "columns" in attrs:
            attrs["columns"] = list(dict.fromkeys(attrs["columns"]))
        name = attrs.get("name", getattr(instance, "name", ""))
        owner = getattr(instance, "owner", user)
        taken = SavedView.objects.filter(owner=owner, entity=entity, name=name)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            raise serializers.ValidationError({"name": ["You already have a view with this "
                                                        "name."]})
        if attrs.get("shared") and not can_share(user):
            raise serializers.ValidationError(
                {"shared": ["Only managers and tenant admins can share a view."]})
        return attrs


def views_for(user):
    """The views ``user`` may read and apply: their own and every shared one."""
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def may_delete(view, user) -> bool:
    return view.owner_id == user.pk or (view.shared and has_role(user, TENANT_ADMIN))


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("entity", description="Only views of this record type.")]))
class SavedViewViewSet(viewsets.ModelViewSet):
    """Named list views: filters and sort (a query string) and columns. Everyone lists their
    own and the shared ones; only managers and admins share; the owner changes a view; the
    owner, or a tenant admin for a shared view, deletes it."""

    serializer_class = SavedViewSerializer
    permission_classes = [IsTenantStaff]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedView.objects.none()
        views = views_for(self.request.user)
        entity = self.request.query_params.get("entity")
        return views.filter(entity=entity) if entity else views

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def perform_update(self, serializer):
        if serializer.instance.owner_id != self.request.user.pk:
            raise PermissionDenied("Only the owner of a view can change it.")
        serializer.save()

    def perform_destroy(self, instance):
        if not may_delete(instance, self.request.user):
            raise PermissionDenied("Only the owner of a view, or a tenant admin for a shared "
                                   "view, can delete it.")
        instance.delete()
