"""The SLA settings API: /api/v1/sla-policies/, /business-hours/ and /holidays/ (staff read,
tenant admins change)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS

from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy
from crm_apps.service.sla_serializers import (
    BusinessHoursSerializer,
    HolidaySerializer,
    SlaPolicySerializer,
)


class ById(CursorPagination):
    ordering = "id"
    page_size = 200


class SlaPolicyFilter(django_filters.FilterSet):
    class Meta:
        model = SlaPolicy
        fields = ["priority", "customer_tier", "active"]


class BusinessHoursFilter(django_filters.FilterSet):
    class Meta:
        model = BusinessHours
        fields = ["weekday"]


class HolidayFilter(django_filters.FilterSet):
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    before = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year")

    class Meta:
        model = Holiday
        fields = ["after", "before", "year"]


class SettingsViewSet(viewsets.ModelViewSet):
    """Tenant-wide settings rows: every staff member reads them, tenant admins change them."""

    pagination_class = ById
    filter_backends = [DjangoFilterBackend]

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]


class SlaPolicyViewSet(SettingsViewSet):
    """SLA policies: targets per priority (and customer tier) in working minutes."""

    queryset = SlaPolicy.objects.all()
    serializer_class = SlaPolicySerializer
    filterset_class = SlaPolicyFilter


class BusinessHoursViewSet(SettingsViewSet):
    """Working periods per weekday (Monday = 0) in the tenant's time zone."""

    queryset = BusinessHours.objects.all()
    serializer_class = BusinessHoursSerializer
    filterset_class = BusinessHoursFilter


class HolidayViewSet(SettingsViewSet):
    """Dates the desk is closed."""

    queryset = Holiday.objects.all()
    serializer_class = HolidaySerializer
    filterset_class = HolidayFilter
