"""The commission API under /api/v1/: plans (tenant admins write, staff read) and statements
(seen by role and team) with their recompute, submit, approve and reject steps."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.commissions import access, services, statements
from crm_apps.commissions.filters import StatementFilter
from crm_apps.commissions.models import CommissionPlan, CommissionStatement
from crm_apps.commissions.serializers import (
    CommissionPlanSerializer,
    CommissionStatementDetailSerializer,
    CommissionStatementSerializer,
    DecisionSerializer,
    GenerateResultSerializer,
    GenerateSerializer,
)


class ById(CursorPagination):
    ordering = "id"


class NewestPeriodFirst(CursorPagination):
    ordering = ("-period_start", "-id")


class CommissionError(serializers.Serializer):
    detail = serializers.CharField()


def _error(message, code):
    return Response({"detail": str(message)}, status=code)


class CommissionPlanViewSet(viewsets.ModelViewSet, TenantScopedViewSet):
    """Commission plans with their tiers, category rates and members. Every staff member
    reads them; tenant admins change them."""

    queryset = CommissionPlan.objects.prefetch_related("tiers", "category_rates",
                                                       "memberships")
    serializer_class = CommissionPlanSerializer
    pagination_class = ById
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["is_active", "period_kind", "currency"]
    ordering_fields = ["id", "name"]

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]

    def scope_queryset(self, queryset):
        return queryset  # plans are the tenant's rules, read by all staff

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with acting_as(self.request.user):
            instance.delete()  # statements keep the plan's name; their link is cleared


DECISION_RESPONSES = {
    200: CommissionStatementDetailSerializer,
    400: OpenApiResponse(CommissionError, description=_("A rejection without a comment.")),
    403: OpenApiResponse(CommissionError, description=_("Not yours to decide.")),
    409: OpenApiResponse(CommissionError, description=_("Not in a state for this step.")),
}


class CommissionStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                 TenantScopedViewSet):
    """Statements per rep and period: a rep sees their own, a team lead their team's,
    managers and tenant admins all of them."""

    queryset = CommissionStatement.objects.select_related("rep")
    serializer_class = CommissionStatementSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = StatementFilter
    ordering_fields = ["id", "period_start", "commission", "revenue", "status"]
    pagination_class = NewestPeriodFirst

    def get_serializer_class(self):
        if self.action == "list":
            return CommissionStatementSerializer
        if self.action == "generate":
            return GenerateSerializer
        return CommissionStatementDetailSerializer

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        queryset = access.visible_statements(queryset, self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related("lines")
        return queryset

    def _detail(self, statement, code=status.HTTP_200_OK):
        statement = self.get_queryset().get(pk=statement.pk)
        return Response(CommissionStatementDetailSerializer(statement).data, status=code)

    @extend_schema(request=None, responses={
        200: CommissionStatementDetailSerializer,
        400: OpenApiResponse(CommissionError, description=_("No plan to compute with.")),
        409: OpenApiResponse(CommissionError, description=_("Submitted or approved.")),
    })
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Recompute a draft (or rejected) statement from the orders, replacing its lines."""
        statement = self.get_object()
        try:
            statement = statements.recompute(statement, acting_user=request.user)
        except statements.StatementFrozen as error:
            return _error(error, status.HTTP_409_CONFLICT)
        except statements.StatementError as error:
            return _error(error, status.HTTP_400_BAD_REQUEST)
        return self._detail(statement)

    def _step(self, request, step, **kwargs):
        statement = self.get_object()
        try:
            statement = step(statement, acting_user=request.user, **kwargs)
        except services.NotAllowed as error:
            return _error(error, status.HTTP_403_FORBIDDEN)
        except services.DecisionError as error:
            return _error(error, status.HTTP_409_CONFLICT)
        except services.CommentRequired as error:
            return Response({"comment": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return self._detail(statement)

    @extend_schema(request=None, responses=DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send a draft for approval."""
        return self._step(request, services.submit)

    def _comment(self, request) -> str:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("comment", "")

    @extend_schema(request=DecisionSerializer, responses=DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted statement (manager, tenant admin or the rep's team lead)."""
        return self._step(request, services.approve, comment=self._comment(request))

    @extend_schema(request=DecisionSerializer, responses=DECISION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a submitted statement back, with a comment saying why."""
        return self._step(request, services.reject, comment=self._comment(request))

    @extend_schema(request=GenerateSerializer, responses={
        200: GenerateResultSerializer,
        403: OpenApiResponse(CommissionError, description=_("Managers and admins only.")),
    })
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Compute every rep's statement for the period containing "day" (default today),
        leaving submitted and approved ones alone (managers and tenant admins)."""
        if not access.may_generate(request.user):
            return _error(_("Managers and tenant admins compute statements."),
                          status.HTTP_403_FORBIDDEN)
        body = GenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = statements.refresh(body.validated_data.get("day"), include_previous=False,
                                  acting_user=request.user)
        return Response(GenerateResultSerializer(done).data)
