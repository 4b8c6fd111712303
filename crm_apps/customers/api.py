"""The customer API: accounts, contacts, teams, tags and classes under /api/v1/."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag, Team
from crm_apps.customers.serializers import (
    AccountSerializer,
    ContactSerializer,
    CustomerClassSerializer,
    TagSerializer,
    TeamSerializer,
)
from crm_apps.customers.visibility import visible


class CustomerRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, mixins.UpdateModelMixin,
                            mixins.DestroyModelMixin, TenantScopedViewSet):
    """Shared behaviour: visibility per role and team, filters, search, ordering, cursor
    pages, soft delete (restorable by a tenant admin)."""

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "created", "updated"]
    ordering = ["-id"]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible(queryset, self.request.user).select_related(
            "owner", "team").prefetch_related("tags", "classes")

    def perform_destroy(self, instance):
        instance.soft_delete()

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], permission_classes=[IsTenantAdmin])
    def restore(self, request, pk=None):
        """Bring a deleted record back (a tenant admin; within 30 days of its deletion)."""
        model = self.queryset.model
        record = model.everything.filter(pk=pk, deleted_at__isnull=False).first()
        if record is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        record.deleted_at = None
        record.save(update_fields=["deleted_at", "updated"])
        return Response(self.get_serializer(record).data)


class AccountViewSet(CustomerRecordViewSet):
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = [*CustomerRecordViewSet.ordering_fields, "name", "tier"]


class ContactViewSet(CustomerRecordViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = [*CustomerRecordViewSet.ordering_fields, "last_name", "email",
                       "lifecycle_stage"]

    def scope_queryset(self, queryset):
        return super().scope_queryset(queryset).select_related("account")


class ByName(CursorPagination):
    ordering = "name"


class ReferenceViewSet(viewsets.ModelViewSet):
    """Teams, tags and classes: every staff member reads them, tenant admins change them."""

    pagination_class = ByName

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]


class TeamViewSet(ReferenceViewSet):
    queryset = Team.objects.prefetch_related("members").order_by("name")
    serializer_class = TeamSerializer


class TagViewSet(ReferenceViewSet):
    queryset = Tag.objects.order_by("name")
    serializer_class = TagSerializer


class CustomerClassViewSet(ReferenceViewSet):
    queryset = CustomerClass.objects.order_by("name")
    serializer_class = CustomerClassSerializer
