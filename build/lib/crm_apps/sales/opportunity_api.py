"""The sales pipeline API: pipelines and stages (tenant admins change them) and opportunities
with filters, cursor pages, visibility and the board move."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.customers.api import NewestFirst, VisibleFieldsOrdering
from crm_apps.sales import pipeline_services
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from crm_apps.sales.opportunity_filters import OpportunityFilter
from crm_apps.sales.opportunity_serializers import (
    MoveSerializer,
    OpportunitySerializer,
    PipelineSerializer,
    StageOrderSerializer,
    StageSerializer,
)


def board_client(header: str) -> str:
    """The board page a move came from (an opaque id it echoes back), if well-formed."""
    return header if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", header) else ""


class AdminWritesMixin:
    """Every staff member reads; tenant admins change."""

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]


class ByPosition(NewestFirst):
    ordering = ("position", "id")


class OpportunityPages(NewestFirst):
    page_size_query_param = "page_size"
    max_page_size = 200


class PipelineViewSet(AdminWritesMixin, viewsets.ModelViewSet):
    """Pipelines with their stages nested (read); stages are changed at /api/v1/stages/."""

    queryset = Pipeline.objects.prefetch_related("stages")
    serializer_class = PipelineSerializer
    pagination_class = ByPosition

    def perform_destroy(self, instance):
        if instance.opportunities.exists():
            raise serializers.ValidationError(
                {"detail": "Move or delete the pipeline's opportunities first."})
        instance.delete()

    @extend_schema(request=StageOrderSerializer, responses=PipelineSerializer)
    @action(detail=True, methods=["post"], url_path="reorder-stages")
    def reorder_stages(self, request, pk=None):
        """Put the pipeline's stages in the given order (every stage id, once)."""
        pipeline = self.get_object()
        order = StageOrderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        ids = order.validated_data["stages"]
        if sorted(ids) != sorted(pipeline.stages.values_list("pk", flat=True)):
            return Response({"stages": ["List every stage of this pipeline exactly once."]},
                            status=status.HTTP_400_BAD_REQUEST)
        with transaction.atomic():
            for index, stage_id in enumerate(ids):
                Stage.objects.filter(pk=stage_id).update(position=index)
        return Response(self.get_serializer(Pipeline.objects.get(pk=pipeline.pk)).data)


class StageViewSet(AdminWritesMixin, viewsets.ModelViewSet):
    queryset = Stage.objects.select_related("pipeline")
    serializer_class = StageSerializer
    pagination_class = ByPosition
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["pipeline", "outcome"]

    def perform_create(self, serializer):
        if "position" not in serializer.validated_data:  # a new stage goes last
            last = Stage.objects.filter(pipeline=serializer.validated_data["pipeline"]) \
                .aggregate(last=Max("position"))["last"]
            serializer.save(position=0 if last is None else last + 1)
        else:
            serializer.save()

    def perform_update(self, serializer):
        pipeline = serializer.validated_data.get("pipeline")
        if pipeline is not None and pipeline != serializer.instance.pipeline \
                and serializer.instance.opportunities.exists():
            raise serializers.ValidationError(
                {"pipeline": ["A stage with opportunities stays in its pipeline."]})
        serializer.save()

    def perform_destroy(self, instance):
        if instance.opportunities.exists():
            raise serializers.ValidationError(
                {"detail": "Move the stage's opportunities to another stage first."})
        instance.delete()


class OpportunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         mixins.DestroyModelMixin, TenantScopedViewSet):
    """Opportunities the caller may see (role and team). Filters: pipeline, stage, owner,
    team, account, forecast_category, expected_close_after/_before, amount_min/_max, q
    (name or account), ``cf_<code>`` custom fields; ordering by the fields listed; cursor
    pages. Deleting puts the opportunity in the bin."""

    queryset = Opportunity.objects.all()
    serializer_class = OpportunitySerializer
    filter_backends = [DjangoFilterBackend, VisibleFieldsOrdering]
    filterset_class = OpportunityFilter
    pagination_class = OpportunityPages
    ordering_fields = ["id", "created", "updated", "name", "amount", "expected_close",
                       "board_position"]
    ordering = ["-id"]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return pipeline_services.visible_opportunities(self.request.user).select_related(
            "owner", "team", "account", "pipeline", "stage")

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        before = pipeline_services.board_snapshot(serializer.instance.pk)
        with acting_as(self.request.user):
            saved = serializer.save()
        pipeline_services.push_if_moved(saved, before, self.request.user)

    def perform_destroy(self, instance):
        before = pipeline_services.board_snapshot(instance.pk)
        with acting_as(self.request.user):
            instance.soft_delete()
        pipeline_services.push_removal(instance, before, self.request.user)

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to a stage, before/after another card or at an index among the cards you see
        (none given: the column's end). A lost stage needs lost_reason."""
        opportunity = self.get_object()
        move = MoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        data = move.validated_data
        try:
            moved = pipeline_services.move(
                opportunity, data["stage"], user=request.user, before=data.get("before"),
                after=data.get("after"), position=data.get("position"),
                lost_reason=data.get("lost_reason", ""),
                origin=board_client(request.headers.get("X-Board-Client", "")))
        except Opportunity.DoesNotExist:
            raise NotFound from None
        except DjangoValidationError as error:
            return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(moved).data)
