"""Operator REST API: list, provision, suspend, resume, export and delete tenants."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core.permissions import IsOperator
from tenants import lifecycle
from tenants.models import Plan, Tenant, TenantExport
from tenants.provisioning import provision_tenant
from tenants.selectors import fleet, staff_counts
from tenants.template import TemplateOutOfDate


class TenantSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="code", queryset=Plan.objects.all(),
                                        required=False, allow_null=True)
    url = serializers.SerializerMethodField()
    staff_count = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["id", "slug", "name", "status", "plan", "owner_email", "time_zone", "created",
                  "url", "staff_count"]
        read_only_fields = ["id", "status", "created", "url", "staff_count"]
        # Slug uniqueness and format are the provisioning service's to check, with its messages.
        extra_kwargs = {"slug": {"validators": []}}

    def get_url(self, tenant) -> str | None:
        return None if tenant.status == Tenant.Status.DELETED else tenant.base_url + "/"

    def get_staff_count(self, tenant) -> int | None:
        return self.context.get("staff_counts", {}).get(tenant.schema_name)


class ProvisionedSerializer(TenantSerializer):
    admin_email = serializers.EmailField(read_only=True)
    setup_url = serializers.URLField(read_only=True, help_text=(
        "One-time link where the owner chooses a password (also sent to the owner)."))

    class Meta(TenantSerializer.Meta):
        fields = [*TenantSerializer.Meta.fields, "admin_email", "setup_url"]


class DeleteSerializer(serializers.Serializer):
    confirm_slug = serializers.CharField()


class ExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantExport
        fields = ["id", "filename", "size_bytes", "created"]


def _as_drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict")
                           else {"detail": exc.messages})


class TenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tenants of the platform. Token authentication: ``Authorization: Token <key>``."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsOperator]
    serializer_class = TenantSerializer
    pagination_class = PageNumberPagination
    queryset = Tenant.objects.none()

    def get_queryset(self):
        return fleet()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("list", "retrieve"):
            page = getattr(self, "_page_for_counts", None)
            context["staff_counts"] = staff_counts(page or [])
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page_for_counts = page
        return page

    def retrieve(self, request, *args, **kwargs):
        self._page_for_counts = [self.get_object()]
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=TenantSerializer, responses={201: ProvisionedSerializer})
    def create(self, request):
        serializer = TenantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = provision_tenant(slug=data["slug"], name=data["name"],
                                      owner_email=data.get("owner_email", ""),
                                      plan=data.get("plan"), time_zone=data.get("time_zone"))
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        except TemplateOutOfDate as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        tenant = result.tenant
        tenant.admin_email, tenant.setup_url = result.admin_email, result.setup_url
        body = ProvisionedSerializer(tenant, context={"staff_counts": {tenant.schema_name: 1}})
        return Response(body.data, status=status.HTTP_201_CREATED)

    def _run(self, func, **kwargs):
        tenant = self.get_object()
        try:
            func(tenant, acting_user=self.request.user, **kwargs)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        tenant.refresh_from_db()
        return Response(TenantSerializer(tenant).data)

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._run(lifecycle.suspend_tenant)

    @extend_schema(request=None, responses=TenantSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._run(lifecycle.resume_tenant)

    @extend_schema(request=None, responses={201: ExportSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        tenant = self.get_object()
        try:
            export = lifecycle.export_tenant(tenant, acting_user=request.user)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        except lifecycle.ExportFailed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)
        return Response(ExportSerializer(export).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeleteSerializer, responses={200: ExportSerializer})
    def destroy(self, request, pk=None):
        body = DeleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tenant = self.get_object()
        try:
            export = lifecycle.delete_tenant(
                tenant, confirm_slug=body.validated_data["confirm_slug"], acting_user=request.user)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        return Response(ExportSerializer(export).data)
