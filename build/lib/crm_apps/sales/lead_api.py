"""The leads API: leads with their conversion and disqualification, and the tenant admin's
assignment and scoring rules, under /api/v1/."""

from django.db import transaction
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantAdmin
from crm_apps.customers.api import VisibleFieldsOrdering
from crm_apps.customers.visibility import visible
from crm_apps.sales import conversion, scoring
from crm_apps.sales.assignment import assign_by_rules
from crm_apps.sales.lead_filters import LeadFilter
from crm_apps.sales.lead_serializers import (
    ActivityPointsSerializer,
    AssignmentRuleSerializer,
    ConversionResultSerializer,
    ConvertSerializer,
    DisqualifySerializer,
    LeadSerializer,
    ScoringRuleSerializer,
)
from crm_apps.sales.models import ActivityPoints, AssignmentRule, Lead, ScoringRule


class LeadPages(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def create_lead(serializer, user) -> Lead:
    """Save a new lead: the assignment rules pick an owner when none is given, and the
    creator owns it when no rule matches."""
    with transaction.atomic(), acting_as(user):
        lead = serializer.save()
        if lead.owner_id is None:
            lead.owner = user
            lead.save(update_fields=["owner", "updated"])
    return lead


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, mixins.DestroyModelMixin, TenantScopedViewSet):
    """Leads the caller may see (own and team's for reps, all for admins), with filters
    (status, source, owner, team, score_min/score_max, q, ``cf_<code>``), ordering (score,
    created, ...) and cursor pages. Delete moves a lead to the bin."""

    queryset = Lead.objects.all()
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    pagination_class = LeadPages
    filter_backends = [DjangoFilterBackend, VisibleFieldsOrdering]
    ordering_fields = ["id", "created", "updated", "score", "last_name", "company", "status"]
    ordering = ["-id"]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible(queryset, self.request.user).select_related("owner", "team")

    def perform_create(self, serializer):
        create_lead(serializer, self.request.user)

    def perform_update(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with acting_as(self.request.user):
            instance.soft_delete()

    @extend_schema(request=ConvertSerializer,
                   responses={201: ConversionResultSerializer, 400: dict, 409: dict})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Convert a qualified lead into an account, a contact and an opportunity, attaching
        to an existing account (chosen, or same website domain or company name) and contact
        (same e-mail or phone) instead of duplicating them. A second conversion answers 409."""
        lead = self.get_object()
        serializer = ConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with acting_as(request.user):
                result = conversion.convert(
                    lead.pk, request.user, account_id=data.get("account"),
                    opportunity_name=data.get("opportunity_name", ""),
                    amount=data.get("amount"), expected_close=data.get("expected_close"),
                    pipeline_id=data.get("pipeline"), stage_id=data.get("stage"))
        except conversion.AlreadyConverted:
            return Response({"detail": "This lead has already been converted."},
                            status=status.HTTP_409_CONFLICT)
        except conversion.ConversionError as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        except Lead.DoesNotExist:
            raise Http404 from None
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)

    @extend_schema(request=DisqualifySerializer, responses={200: LeadSerializer, 400: dict})
    @action(detail=True, methods=["post"])
    def disqualify(self, request, pk=None):
        """Disqualify the lead; a reason is required."""
        lead = self.get_object()
        serializer = DisqualifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if lead.status == Lead.Status.CONVERTED:
            return Response({"status": ["A converted lead cannot be disqualified."]},
                            status=status.HTTP_409_CONFLICT)
        lead.status = Lead.Status.DISQUALIFIED
        lead.disqualified_reason = serializer.validated_data["reason"].strip()
        with acting_as(request.user):
            lead.save(update_fields=["status", "disqualified_reason", "updated"])
        return Response(self.get_serializer(lead).data)

    @extend_schema(request=None, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Give the lead the owner the assignment rules choose now (unchanged if none match)."""
        lead = self.get_object()
        with acting_as(request.user):
            assign_by_rules(lead)
        return Response(self.get_serializer(lead).data)


class Ordered(CursorPagination):
    ordering = ("position", "id")


class ById(CursorPagination):
    ordering = "id"


class AdminRulesViewSet(viewsets.ModelViewSet):
    """Rules only a tenant admin reads and changes."""

    permission_classes = [IsTenantAdmin]
    pagination_class = ById


class AssignmentRuleViewSet(AdminRulesViewSet):
    """Lead assignment rules, applied in order of ``position``: the first active rule whose
    criteria (source, country, region, industry, territory; blank = any) all match a new lead
    without an owner gives it one, round robin within ``team`` or the territory's ``user``."""

    queryset = AssignmentRule.objects.select_related("team", "user")
    serializer_class = AssignmentRuleSerializer
    pagination_class = Ordered


class RescoringViewSet(AdminRulesViewSet):
    """Changes rescore every lead, so lists sort by the new scores at once."""

    def perform_create(self, serializer):
        serializer.save()
        scoring.rescore_all()

    def perform_update(self, serializer):
        serializer.save()
        scoring.rescore_all()

    def perform_destroy(self, instance):
        instance.delete()
        scoring.rescore_all()


class ScoringRuleViewSet(RescoringViewSet):
    """Lead scoring rules: ``points`` when ``field`` equals / contains ``value`` or is set."""

    queryset = ScoringRule.objects.all()
    serializer_class = ScoringRuleSerializer


class ActivityPointsViewSet(RescoringViewSet):
    """Points a lead earns per activity of a kind logged on it."""

    queryset = ActivityPoints.objects.all()
    serializer_class = ActivityPointsSerializer
