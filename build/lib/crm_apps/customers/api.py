"""The customer API: accounts, contacts, teams, tags and classes under /api/v1/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core import audit
from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.models import AuditEntry
from core.permissions import IsTenantAdmin, IsTenantStaff
from crm_apps.customers import bulk
from crm_apps.customers.duplicates import account_matches, contact_matches, split_by_visibility
from crm_apps.customers.export import FORMATS, export_columns
from crm_apps.customers.export import export as export_records
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.merge import merge as merge_records
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag, Team
from crm_apps.customers.serializers import (
    AccountSerializer,
    AuditEntrySerializer,
    ContactSerializer,
    CustomerClassSerializer,
    TagSerializer,
    TeamSerializer,
)
from crm_apps.customers.visibility import visible
from crm_apps.customization.access import hidden_fields, visible_changes


class VisibleFieldsOrdering(OrderingFilter):
    """Ordering that answers 400 for a field hidden from the caller: sorting by it would
    reveal its values."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            hidden = hidden_fields(queryset.model, request.user)
            refused = sorted({term.strip().lstrip("-") for term in params.split(",")} & hidden)
            if refused:
                raise ValidationError({self.ordering_param: [
                    f"You cannot sort by {', '.join(refused)}: hidden from your role."]})
        return super().get_ordering(request, queryset, view)


class CustomerRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, mixins.UpdateModelMixin,
                            mixins.DestroyModelMixin, TenantScopedViewSet):
    """Shared behaviour: visibility per role and team, filters, search, ordering, cursor
    pages, soft delete (restorable by a tenant admin).

    Custom fields are filtered with ``cf_<code>`` (text: contains, any case; multiple choice:
    holds the value; otherwise equals) and, for number, money and date fields,
    ``cf_<code>_min`` / ``cf_<code>_max`` (bounds included). Filtering or sorting on a field
    hidden from the caller's roles answers 400."""

    filter_backends = [DjangoFilterBackend, VisibleFieldsOrdering]
    ordering_fields = ["id", "created", "updated"]
    ordering = ["-id"]

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return visible(queryset, self.request.user).select_related(
            "owner", "team").prefetch_related("tags", "classes")

    def find_duplicates(self, data: dict) -> list:  # pragma: no cover - overridden
        return []

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A likely duplicate is refused unless the caller says it is meant (?duplicates=allow).
        if request.query_params.get("duplicates") != "allow":
            matches = self.find_duplicates(serializer.validated_data)
            if matches:
                shown, hidden = split_by_visibility(matches, request.user)
                return Response({
                    "detail": "This looks like a record that already exists; repeat with "
                              "?duplicates=allow to create it anyway.",
                    "duplicates": [{"id": record.pk, "name": str(record), "reason": reason}
                                   for record, reason in shown],
                    "hidden_matches": hidden,
                }, status=status.HTTP_409_CONFLICT)
        self.perform_create(serializer)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        with acting_as(self.request.user):  # token callers are known only inside the view
            serializer.save()

    def perform_update(self, serializer):
        with acting_as(self.request.user):
            serializer.save()

    def perform_destroy(self, instance):
        with acting_as(self.request.user):
            instance.soft_delete()

    @extend_schema(request=inline_serializer("Merge", {"duplicate": serializers.IntegerField()}),
                   responses=dict)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge another record (``duplicate``) into this one; both must be visible."""
        survivor = self.get_object()
        duplicate_id = request.data.get("duplicate") if isinstance(request.data, dict) else None
        if not isinstance(duplicate_id, int) or duplicate_id == survivor.pk:
            return Response({"duplicate": ["Give the id of another record to merge in."]},
                            status=status.HTTP_400_BAD_REQUEST)
        duplicate = self.get_queryset().filter(pk=duplicate_id).first()
        if duplicate is None:
            return Response({"duplicate": ["No such record."]},
                            status=status.HTTP_404_NOT_FOUND)
        with acting_as(request.user):
            return Response(merge_records(survivor, duplicate))

    @extend_schema(parameters=[OpenApiParameter("file", enum=list(FORMATS), default="csv")],
                   responses={(200, "text/csv"): bytes})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The list as filtered (and as the caller may see it) in CSV or XLSX; audited."""
        fmt = request.query_params.get("file", "csv")
        if fmt not in FORMATS:
            return Response({"file": [f"Choose one of: {', '.join(FORMATS)}."]},
                            status=status.HTTP_400_BAD_REQUEST)
        queryset = self.filter_queryset(self.get_queryset())
        filters = {key: value for key, value in request.query_params.items() if key != "file"}
        columns = export_columns(queryset.model, request.user)
        with acting_as(request.user):
            return export_records(queryset, columns, fmt, self.basename + "s", filters,
                                  user=request.user)

    @extend_schema(request=bulk.BulkActionSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Reassign, tag or delete a selection (records the caller cannot see are skipped)."""
        serializer = bulk.BulkActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with acting_as(request.user):
            return Response(bulk.apply(self.queryset.model, request.user,
                                       serializer.validated_data))

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Who changed what on this record, newest first."""
        paginator = NewestFirst()  # its own order, whatever ?ordering= the list accepts
        page = paginator.paginate_queryset(audit.history(self.get_object()), request)
        entries = AuditEntrySerializer(page, many=True).data
        for entry in entries:  # a hidden field's old and new values stay hidden
            entry["changes"] = visible_changes(self.queryset.model, request.user,
                                               entry["changes"])
        return paginator.get_paginated_response(entries)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], permission_classes=[IsTenantAdmin])
    def restore(self, request, pk=None):
        """Bring a deleted record back (a tenant admin; within 30 days of its deletion)."""
        model = self.queryset.model
        record = model.everything.filter(pk=pk, deleted_at__isnull=False).first()
        if record is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        record.deleted_at = None
        with acting_as(request.user):
            record.save(update_fields=["deleted_at", "updated"])
        return Response(self.get_serializer(record).data)


class AccountViewSet(CustomerRecordViewSet):
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = [*CustomerRecordViewSet.ordering_fields, "name", "tier",
                       "annual_revenue"]

    def scope_queryset(self, queryset):
        return super().scope_queryset(queryset).select_related("parent")

    def find_duplicates(self, data):
        return account_matches(name=data.get("name", ""), website=data.get("website", ""),
                               phone=data.get("phone", ""))


class ContactViewSet(CustomerRecordViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = [*CustomerRecordViewSet.ordering_fields, "last_name", "email",
                       "lifecycle_stage"]

    def scope_queryset(self, queryset):
        return super().scope_queryset(queryset).select_related("account")

    def find_duplicates(self, data):
        return contact_matches(email=data.get("email", ""), phone=data.get("phone", ""),
                               mobile=data.get("mobile", ""))


class ByName(CursorPagination):
    ordering = "name"


class NewestFirst(CursorPagination):
    ordering = "-id"


class ReferenceViewSet(viewsets.ModelViewSet):
    """Teams, tags and classes: every staff member reads them, tenant admins change them."""

    pagination_class = ByName

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsTenantStaff()]
        return [IsTenantAdmin()]


class TeamViewSet(ReferenceViewSet):
    queryset = Team.objects.prefetch_related("members").order_by("name")
    serializer_class = TeamSerializer


class TagViewSet(ReferenceViewSet):
    queryset = Tag.objects.order_by("name")
    serializer_class = TagSerializer


class CustomerClassViewSet(ReferenceViewSet):
    queryset = CustomerClass.objects.order_by("name")
    serializer_class = CustomerClassSerializer


class AuditFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["record_type", "record_id", "action", "actor"]


class AuditTrailViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The whole audit trail for a tenant admin, filterable by record, action, who and when."""

    queryset = AuditEntry.objects.select_related("actor").order_by("-id")
    serializer_class = AuditEntrySerializer
    permission_classes = [IsTenantAdmin]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditFilter
    pagination_class = NewestFirst
