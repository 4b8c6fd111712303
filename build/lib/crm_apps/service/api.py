"""The ticket API under /api/v1/: tickets with their conversation, merge, links and sign-off;
canned replies; assignment rules (tenant admins change them)."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.customers.visibility import visible
from crm_apps.service import services
from crm_apps.service.attachments import AttachmentError, serve
from crm_apps.service.filters import TicketFilter
from crm_apps.service.models import CannedReply, Ticket, TicketAssignmentRule, TicketAttachment
from crm_apps.service.serializers import (
    CannedReplySerializer,
    NewMessageSerializer,
    NewTicketSerializer,
    OtherTicketSerializer,
    TicketAssignmentRuleSerializer,
    TicketChangeSerializer,
    TicketMessageSerializer,
    TicketSerializer,
)


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


class ByPosition(CursorPagination):
    ordering = ("position", "id")


class ByTitle(CursorPagination):
    ordering = ("title", "id")


class TicketRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()


REFUSED = {
    400: OpenApiResponse(TicketRefusalSerializer,
                         description=_("Invalid input or a refused file.")),
    409: OpenApiResponse(TicketRefusalSerializer,
                         description=_("The ticket's state forbids it.")),
}


def refused(error) -> Response:
    """The answer to a change the desk or the file checks refused."""
    return Response({"detail": str(error)}, status=error.status_code)


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Tickets the caller sees (the owned-record rule on assignee and team)."""

    queryset = Ticket.objects.select_related("account", "contact").prefetch_related("tags",
                                                                                    "linked")
    serializer_class = TicketSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = TicketFilter
    ordering_fields = ["id", "number", "priority", "status", "created", "updated",
                       "first_response_due", "resolution_due"]
    ordering = ["-id"]
    pagination_class = NewestFirst
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible(queryset, self.request.user)

    def _fresh(self, ticket) -> dict:
        return TicketSerializer(self.get_queryset().get(pk=ticket.pk)).data

    @extend_schema(request=NewTicketSerializer, responses={201: TicketSerializer, **REFUSED})
    def create(self, request):
        """Open a ticket (JSON, or multipart with ``attachments``); rules assign it."""
        serializer = NewTicketSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        tags = data.pop("tags", [])
        severity = data.pop("severity", "")
        try:
            with transaction.atomic(), acting_as(request.user):
                ticket = services.open_ticket(by_user=request.user, **data)
                if tags:
                    ticket.tags.set(tags)
                if severity:
                    services.update_details(ticket, severity=severity, by=request.user)
        except (services.TicketError, AttachmentError) as error:
            return refused(error)
        return Response(self._fresh(ticket), status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketChangeSerializer, responses={200: TicketSerializer, **REFUSED,
                                                               403: TicketRefusalSerializer})
    def partial_update(self, request, pk=None):
        """Change details, assignee and team, tags and status (last, so a complaint can
        be given its cause and closed in one request)."""
        ticket = self.get_object()
        serializer = TicketChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        new_status = data.pop("status", None)
        tags = data.pop("tags", None)
        assignment = {name: data.pop(name) for name in ("owner", "team") if name in data}
        try:
            with transaction.atomic():
                if data:
                    services.update_details(ticket, by=request.user, **data)
                if assignment:
                    services.assign(ticket, owner=assignment.get("owner", ticket.owner),
                                    team=assignment.get("team", ticket.team), by=request.user)
                if tags is not None:
                    services.set_tags(ticket, tags, by=request.user)
                if new_status is not None:
                    services.change_status(ticket, new_status, by=request.user)
        except services.TicketError as error:
            return refused(error)
        return Response(self._fresh(ticket))

    @extend_schema(methods=["GET"], request=None,
                   responses={200: TicketMessageSerializer(many=True)})
    @extend_schema(methods=["POST"], request={"multipart/form-data": NewMessageSerializer,
                                              "application/json": NewMessageSerializer},
                   responses={201: TicketMessageSerializer, **REFUSED,
                              413: OpenApiResponse(TicketRefusalSerializer,
                                                   description=_("Files too large."))})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        """The whole conversation with internal notes (GET); a public reply or an internal
        note, with files (POST)."""
        ticket = self.get_object()
        if request.method == "GET":
            rows = (ticket.messages.select_related("author")
                    .prefetch_related("attachments__message"))
            return Response(TicketMessageSerializer(rows, many=True).data)
        serializer = NewMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            message = services.add_message(
                ticket, body=data["body"], visibility=data["visibility"], author=request.user,
                channel=Ticket.Channel.STAFF, attachments=data["attachments"])
        except (services.TicketError, AttachmentError) as error:
            return refused(error)
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OtherTicketSerializer, responses={200: TicketSerializer, **REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request, pk=None):
        """Merge this ticket (a duplicate) into ``ticket``: its messages, files, tags and links
        move there and it is closed."""
        duplicate = self.get_object()
        serializer = OtherTicketSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        into = serializer.validated_data["ticket"]
        try:
            services.merge(duplicate, into, by=request.user)
        except services.TicketError as error:
            return refused(error)
        return Response(self._fresh(into))

    @extend_schema(request=OtherTicketSerializer, responses={200: TicketSerializer, **REFUSED})
    @action(detail=True, methods=["post"], filter_backends=[])
    def link(self, request, pk=None):
        """Link this ticket and ``ticket`` (both ways)."""
        ticket = self.get_object()
        serializer = OtherTicketSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            services.link(ticket, serializer.validated_data["ticket"], by=request.user)
        except services.TicketError as error:
            return refused(error)
        return Response(self._fresh(ticket))

    @extend_schema(request=None, responses={200: TicketSerializer, **REFUSED,
                                            403: TicketRefusalSerializer})
    @action(detail=True, methods=["post"], url_path="sign-off", filter_backends=[])
    def sign_off(self, request, pk=None):
        """A manager's sign-off of a complaint's root cause and corrective action."""
        ticket = self.get_object()
        try:
            services.sign_off(ticket, by=request.user)
        except services.TicketError as error:
            return refused(error)
        return Response(self._fresh(ticket))

    @extend_schema(request=None, responses={(200, "application/octet-stream"):
                                            OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)",
            url_name="attachment", filter_backends=[], pagination_class=None)
    def attachment(self, request, pk=None, attachment_id=None):
        """Download one file of the ticket's conversation (always as a download)."""
        ticket = self.get_object()
        return serve(get_object_or_404(TicketAttachment, pk=attachment_id,
                                       message__ticket=ticket))


class AdminWritesMixin:
    """Every staff member reads; tenant admins change."""

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]


class CannedReplyViewSet(viewsets.ModelViewSet):
    """Prepared answers every agent may insert and keep up to date."""

    queryset = CannedReply.objects.all()
    serializer_class = CannedReplySerializer
    permission_classes = [IsTenantStaff]
    pagination_class = ByTitle
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["language"]

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)


class TicketAssignmentRuleViewSet(AdminWritesMixin, viewsets.ModelViewSet):
    """Which team gets new tickets of a type or customer tier, in turn or least loaded."""

    queryset = TicketAssignmentRule.objects.select_related("team")
    serializer_class = TicketAssignmentRuleSerializer
    pagination_class = ByPosition
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["active", "kind", "customer_tier", "team", "method"]
