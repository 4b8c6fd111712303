"""The contract API under /api/v1/contracts/: CRUD, filters, and renewal."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from crm_apps.contracts import services
from crm_apps.contracts.filters import ContractFilter
from crm_apps.contracts.models import Contract
from crm_apps.contracts.serializers import ContractSerializer
from crm_apps.customers.visibility import visible


class NewestFirst(CursorPagination):
    ordering = "-id"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      mixins.DestroyModelMixin, TenantScopedViewSet):
    """Contracts of the accounts the caller sees; deleting moves a contract to the bin."""

    queryset = Contract.objects.all()
    serializer_class = ContractSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ContractFilter
    ordering_fields = ["id", "number", "start", "end", "value", "created", "updated"]
    ordering = ["-id"]
    pagination_class = NewestFirst

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible(queryset, self.request.user).prefetch_related("renewals")

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with acting_as(self.request.user):
            instance.soft_delete()

    @extend_schema(request=None, responses={
        201: ContractSerializer,
        400: OpenApiResponse(ErrorSerializer, description=_("The contract cannot renew.")),
        409: OpenApiResponse(ErrorSerializer, description=_("It already has a next term.")),
    })
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Create the contract's next term (same length and value) and mark it renewed."""
        contract = self.get_object()
        try:
            with acting_as(request.user):
                following = services.renew(contract)
        except services.AlreadyRenewed as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except services.RenewalError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        following = Contract.objects.prefetch_related("renewals").get(pk=following.pk)
        return Response(self.get_serializer(following).data, status=status.HTTP_201_CREATED)
