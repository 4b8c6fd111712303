"""Management API of custom fields and hidden fields: staff read, tenant admins change."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS

from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.customization import access, entities, rules
from crm_apps.customization.models import CustomField, FieldRestriction
from crm_apps.customization.serializers import CustomFieldSerializer, FieldRestrictionSerializer

ENTITY_PARAMETER = OpenApiParameter("entity", description="Only this record type, such as "
                                                          "customers.account.")


class ByEntity(CursorPagination):
    ordering = ("entity", "position", "id")
    page_size = 200


class DefinitionViewSet(viewsets.ModelViewSet):
    pagination_class = ByEntity

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]

    def filter_entity(self, queryset):
        entity = self.request.query_params.get("entity")
        return queryset.filter(entity=entity) if entity else queryset


@extend_schema_view(list=extend_schema(parameters=[ENTITY_PARAMETER]))
class CustomFieldViewSet(DefinitionViewSet):
    """Custom fields of records. Deleting one removes its values from every record."""

    queryset = CustomField.objects.all()
    serializer_class = CustomFieldSerializer

    def get_queryset(self):
        queryset = self.filter_entity(super().get_queryset())
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or access.is_tenant_admin(user):
            return queryset
        # Staff read the definitions they may see; one hidden from all their roles stays out.
        hidden = [definition.pk for definition in queryset
                  if (model := entities.model_for(definition.entity)) is not None
                  and access.custom_key(definition.code) in access.hidden_fields(model, user)]
        return queryset.exclude(pk__in=hidden)

    def perform_destroy(self, instance):
        rules.delete_definition(instance)


class ByField(CursorPagination):
    ordering = ("entity", "field", "id")
    page_size = 200


@extend_schema_view(list=extend_schema(parameters=[ENTITY_PARAMETER]))
class FieldRestrictionViewSet(DefinitionViewSet):
    """Fields hidden from roles: absent from the API, pages, exports and filters for a user
    whose every role is listed. Tenant admins always see everything."""

    queryset = FieldRestriction.objects.all()
    serializer_class = FieldRestrictionSerializer
    pagination_class = ByField

    def get_queryset(self):
        return self.filter_entity(super().get_queryset())
