"""The segment API under /api/v1/segments/: CRUD with validated rules, the members, and a
recompute on demand. Admins, managers and marketers only."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.permissions import IsTenantStaff
from crm_apps.segments import services
from crm_apps.segments.access import CanManageSegments
from crm_apps.segments.models import Segment, SegmentMembership
from crm_apps.segments.rules import matching_contacts
from crm_apps.segments.serializers import (
    SegmentMemberSerializer,
    SegmentPreviewResultSerializer,
    SegmentPreviewSerializer,
    SegmentSerializer,
)


class SegmentPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     mixins.DestroyModelMixin, TenantScopedViewSet):
    """Segments of this tenant; saving recomputes the members after the commit."""

    queryset = Segment.objects.all()
    serializer_class = SegmentSerializer
    permission_classes = [IsTenantStaff, CanManageSegments]
    pagination_class = SegmentPages

    def scope_queryset(self, queryset):
        # Every segment of the tenant is for every user with a segment role.
        return queryset.order_by("name", "pk")

    def perform_create(self, serializer):
        serializer.instance = services.save_segment(
            Segment(**{key: value for key, value in serializer.validated_data.items()
                       if key != "rules"}),
            rules=serializer.validated_data["rules"])

    def perform_update(self, serializer):
        segment = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(segment, key, value)
        services.save_segment(segment, rules=segment.rules)

    def perform_destroy(self, instance):
        services.delete_segment(instance)

    @extend_schema(responses=SegmentMemberSerializer(many=True))
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        """The segment's members, by contact id and name, a page at a time."""
        segment = self.get_object()
        members = (SegmentMembership.objects.filter(segment=segment).select_related("contact")
                   .order_by("contact_id"))
        page = self.paginate_queryset(members)
        return self.get_paginated_response(SegmentMemberSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: SegmentSerializer})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Recompute the members in the background (at once when tasks run eagerly)."""
        segment = self.get_object()
        services.request_recompute(segment)
        return Response(self.get_serializer(segment).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=SegmentPreviewSerializer,
                   responses={200: SegmentPreviewResultSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """How many contacts rules would match now, without saving a segment."""
        serializer = SegmentPreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        matched = matching_contacts(serializer.validated_data["rules"],
                                    serializer.validated_data["match"])
        return Response({"count": matched.count()})
