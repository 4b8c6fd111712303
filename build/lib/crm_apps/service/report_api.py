"""Read-only API of the service reports under /api/v1/service-reports/."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core.permissions import IsTenantStaff
from crm_apps.service import reports
from crm_apps.service.models import SatisfactionSurvey, Ticket
from crm_apps.service.report_filters import ComplaintFilter, CsatFilter


class CsatRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Agent or team id, or the month as YYYY-MM.")
    label = serializers.CharField()
    responses = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    satisfied_percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True,
        help_text="Share of answers scoring 4 or 5, in percent.")


class CsatReportSerializer(serializers.Serializer):
    agents = CsatRowSerializer(many=True)
    teams = CsatRowSerializer(many=True)
    months = CsatRowSerializer(many=True)
    total = CsatRowSerializer()


class ComplaintRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="The cause (first line of the root cause, lower case) or the severity.")
    label = serializers.CharField()
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    average_hours_to_close = serializers.DecimalField(max_digits=10, decimal_places=1,
                                                      allow_null=True)


class ComplaintReportSerializer(serializers.Serializer):
    causes = ComplaintRowSerializer(many=True)
    severities = ComplaintRowSerializer(many=True)
    total = ComplaintRowSerializer()


class MayViewCsat(BasePermission):
    message = "Managers, tenant admins and service agents read satisfaction scores."

    def has_permission(self, request, view):
        return reports.may_view_csat(request.user)


class MayViewComplaints(BasePermission):
    message = "Managers and tenant admins read the complaints report."

    def has_permission(self, request, view):
        return reports.may_view_complaints(request.user)


class ReportView(GenericAPIView):
    filter_backends = [DjangoFilterBackend]
    pagination_class = None


class CsatReportView(ReportView):
    """Responses, average score and % satisfied (4 or 5) per agent, team and month of the
    answered surveys (by the day first answered). Agents get their own surveys only."""

    permission_classes = [IsTenantStaff, MayViewCsat]
    queryset = SatisfactionSurvey.objects.all()
    filterset_class = CsatFilter
    serializer_class = CsatReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SatisfactionSurvey.objects.none()
        return reports.answered_surveys(self.request.user)

    @extend_schema(responses=CsatReportSerializer)
    def get(self, request):
        surveys = self.filter_queryset(self.get_queryset())
        return Response(CsatReportSerializer(reports.csat(surveys)).data)


class ComplaintReportView(ReportView):
    """Complaints (by the day opened) per root cause and severity: open, closed and the average
    hours from opening to closing. Managers and tenant admins only."""

    permission_classes = [IsTenantStaff, MayViewComplaints]
    queryset = Ticket.objects.all()
    filterset_class = ComplaintFilter
    serializer_class = ComplaintReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        return reports.complaints_of(self.request.user)

    @extend_schema(responses=ComplaintReportSerializer)
    def get(self, request):
        tickets = self.filter_queryset(self.get_queryset())
        return Response(ComplaintReportSerializer(reports.complaints(tickets)).data)
