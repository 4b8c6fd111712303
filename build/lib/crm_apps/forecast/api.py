"""The API of territories, quotas and the forecast under /api/v1/."""

from datetime import timedelta

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import TenantScopedViewSet
from core.permissions import IsTenantAdmin, IsTenantStaff, has_role, roles_of
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import team_ids
from crm_apps.forecast import forecasting, periods, territories
from crm_apps.forecast.models import PeriodKind, Quota, Territory
from crm_apps.forecast.serializers import (
    ForecastHistorySerializer,
    ForecastSerializer,
    QuotaSerializer,
    ReassignResultSerializer,
    ReassignSerializer,
    TerritorySerializer,
)


class ById(CursorPagination):
    ordering = "id"


class TerritoryViewSet(viewsets.ModelViewSet, TenantScopedViewSet):
    """The tenant's territories, matched in position order (tenant admins only)."""

    queryset = Territory.objects.prefetch_related("reps")
    serializer_class = TerritorySerializer
    permission_classes = [IsTenantAdmin]
    pagination_class = ById
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "name", "position"]

    def scope_queryset(self, queryset):
        return queryset  # admins only (permission_classes), and they see every territory

    @extend_schema(request=ReassignSerializer, responses=ReassignResultSerializer)
    @action(detail=False, methods=["post"])
    def reassign(self, request):
        """Put every account (or one, with "account") into its territory now."""
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        accounts = None
        if "account" in body.validated_data:
            account = get_object_or_404(Account.objects.all(), pk=body.validated_data["account"])
            accounts = Account.objects.filter(pk=account.pk)
        return Response({"changed": territories.reassign(accounts)})


class QuotaWriters(BasePermission):
    message = "Only tenant admins and managers change quotas."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or has_role(request.user, TENANT_ADMIN, MANAGER)


class QuotaViewSet(viewsets.ModelViewSet, TenantScopedViewSet):
    """Quotas per rep or team and month or quarter. Admins and managers read and change all of
    them; others read their own and their teams'."""

    queryset = Quota.objects.select_related("user", "team")
    serializer_class = QuotaSerializer
    permission_classes = [IsTenantStaff, QuotaWriters]
    pagination_class = ById
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["user", "team", "period_kind", "period_start"]
    ordering_fields = ["id", "period_start", "amount"]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        user = self.request.user
        if roles_of(user) & {TENANT_ADMIN, MANAGER}:
            return queryset
        return queryset.filter(Q(user=user) | Q(team__in=team_ids(user)))


def _bad(**errors):
    return Response({name: [message] for name, message in errors.items()},
                    status=status.HTTP_400_BAD_REQUEST)


def read_period(raw: str | None):
    """The period asked for (default: the current month), or None when malformed."""
    if not raw:
        return periods.containing(timezone.localdate())
    try:
        return periods.parse(raw)
    except ValueError:
        return None


SCOPE_PARAMETER = OpenApiParameter(
    "scope", str, description=_('"rep:<id>", "team:<id>" or "tenant" (the default).'))


class ForecastView(APIView):
    """Weighted pipeline, commit, best case and closed won of a rep, a team or the tenant for
    a month or a quarter, against the quota, from the opportunities the caller sees."""

    permission_classes = [IsTenantStaff]

    @extend_schema(parameters=[
        OpenApiParameter("period", str, description=_(
            '"2026-11" for a month or "2026-Q4" for a quarter (default: this month).')),
        SCOPE_PARAMETER,
    ], responses=ForecastSerializer)
    def get(self, request):
        period = read_period(request.query_params.get("period"))
        if period is None:
            return _bad(period=_('Give a month such as "2026-11" or a quarter such as '
                                 '"2026-Q4".'))
        try:
            scope = forecasting.parse_scope(request.query_params.get("scope"))
        except forecasting.ScopeError:
            return _bad(scope=_('Give "rep:<id>" of a sales rep, "team:<id>" of a team, or '
                                '"tenant".'))
        if not forecasting.may_view(scope, request.user):
            return Response({"detail": _("You may not see this forecast.")},
                            status=status.HTTP_403_FORBIDDEN)
        numbers = forecasting.forecast(scope, period, request.user)
        return Response(ForecastSerializer({
            **numbers.as_dict(), "period": period.code, "period_kind": period.kind,
            "period_start": period.start, "period_end": period.end - timedelta(days=1),
            "scope": scope.code}).data)


class ForecastHistoryView(APIView):
    """What was forecast (weekly snapshots) beside what finally closed, newest first."""

    permission_classes = [IsTenantStaff]

    @extend_schema(parameters=[
        SCOPE_PARAMETER,
        OpenApiParameter("kind", str, enum=[PeriodKind.MONTH, PeriodKind.QUARTER],
                         description=_("Only months or only quarters.")),
    ], responses=ForecastHistorySerializer)
    def get(self, request):
        kind = request.query_params.get("kind") or None
        if kind not in (None, *PeriodKind.values):
            return _bad(kind=_('Give "month" or "quarter".'))
        try:
            scope = forecasting.parse_scope(request.query_params.get("scope"))
        except forecasting.ScopeError:
            return _bad(scope=_('Give "rep:<id>" of a sales rep, "team:<id>" of a team, or '
                                '"tenant".'))
        if not forecasting.may_view(scope, request.user):
            return Response({"detail": _("You may not see this forecast.")},
                            status=status.HTTP_403_FORBIDDEN)
        rows = forecasting.history(scope, request.user, kind=kind)
        return Response(ForecastHistorySerializer({
            "scope": scope.code, "results": [row.as_dict() for row in rows]}).data)
