"""The tenant API's base pieces: a scoped viewset base class and the signed-in user endpoint."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsTenantStaff, roles_of


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Base of every tenant API viewset: staff only, and a queryset subclasses must narrow.

    The schema already confines queries to this tenant; ``scope_queryset`` narrows to what the
    user may see (role, team). Skipping it needs a method named ``dangerously_unscoped``.
    """

    permission_classes = [IsTenantStaff]

    def scope_queryset(self, queryset):
        raise NotImplementedError(f"{type(self).__name__} must narrow its queryset")

    def get_queryset(self):
        return self.scope_queryset(super().get_queryset())


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    tenant = serializers.CharField()


class MeView(APIView):
    """The signed-in staff user, their roles and their tenant."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        return Response(MeSerializer({
            "id": user.pk, "email": user.email, "name": user.get_full_name(),
            "roles": sorted(roles_of(user)), "tenant": request.tenant.slug,
        }).data)
