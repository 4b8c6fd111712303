"""The activity API and the record timeline under /api/v1/."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantStaff
from crm_apps.activities import timeline
from crm_apps.activities.filters import ActivityFilter
from crm_apps.activities.models import Activity
from crm_apps.activities.serializers import ActivitySerializer
from crm_apps.activities.visibility import visible_activities
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.visibility import visible


class NewestFirst(CursorPagination):
    ordering = "-id"


class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      mixins.DestroyModelMixin, TenantScopedViewSet):
    """Tasks, calls, meetings and notes on the records the caller sees, and their own;
    deleting moves an activity to the bin."""

    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ActivityFilter
    ordering_fields = ["id", "created", "updated"]
    ordering = ["-id"]
    pagination_class = NewestFirst

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible_activities(queryset, self.request.user).select_related(
            "owner", "assignee", "account", "contact").prefetch_related(
            "attendees", "contact_attendees")

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with acting_as(self.request.user):
            instance.soft_delete()


class TimelineItemSerializer(serializers.Serializer):
    source = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.CharField()
    title = serializers.CharField()
    when = serializers.DateTimeField()
    summary = serializers.CharField(allow_blank=True)
    link = serializers.CharField(allow_blank=True)


class TimelinePageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    results = TimelineItemSerializer(many=True)


class TimelineView(APIView):
    """Everything that happened on an account (with its contacts) or a contact, newest first,
    from every registered source."""

    permission_classes = [IsTenantStaff]
    default_limit, max_limit = 50, 200

    @extend_schema(parameters=[
        OpenApiParameter("account", int, description=_("An account's id.")),
        OpenApiParameter("contact", int, description=_("A contact's id.")),
        OpenApiParameter("limit", int, description=_("Items per page (at most 200).")),
        OpenApiParameter("cursor", str, description=_("The page after the one that gave it.")),
    ], responses=TimelinePageSerializer)
    def get(self, request):
        params = request.query_params
        errors = {}
        record = {}
        for name, model in (("account", Account), ("contact", Contact)):
            if params.get(name) not in (None, ""):
                if not params[name].isdigit():
                    errors[name] = [_("Give a record id.")]
                else:
                    record[name] = model
        if not errors and len(record) != 1:
            errors["non_field_errors"] = [_("Give either an account or a contact.")]
        limit = params.get("limit", str(self.default_limit))
        if not limit.isdigit() or not 1 <= int(limit) <= self.max_limit:
            errors["limit"] = [_("Give a number from 1 to 200.")]
        after_key = None
        if params.get("cursor"):
            after_key = timeline.decode_cursor(params["cursor"])
            if after_key is None:
                errors["cursor"] = [_("This cursor is not valid.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        (name, model), = record.items()
        target = get_object_or_404(visible(model.objects.all(), request.user), pk=params[name])
        page, more = timeline.items(user=request.user, after_key=after_key, limit=int(limit),
                                    **{name: target})
        next_url = None
        if more and page:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor",
                                           timeline.encode_cursor(page[-1]))
        return Response(TimelinePageSerializer({"next": next_url, "results": page}).data)
