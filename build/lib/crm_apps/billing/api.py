"""The invoice API: /api/v1/invoices/ (lines nested; issue, void, payments, refunds, the PDF and
sending) and /api/v1/statements/."""

import smtplib

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import TenantScopedViewSet
from core.audit import acting_as
from core.permissions import IsTenantStaff
from crm_apps.billing import services, statements
from crm_apps.billing.access import handles_money, visible_invoices
from crm_apps.billing.errors import BillingError
from crm_apps.billing.filters import InvoiceFilter
from crm_apps.billing.models import Invoice, Payment
from crm_apps.billing.serializers import (
    InvoiceSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    RefundInputSerializer,
    RefundSerializer,
    StatementQuerySerializer,
    StatementSerializer,
)
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import visible
from crm_apps.quotes.api import PDFRenderer


class BillingErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


def refused(error: BillingError) -> Response:
    return Response({"detail": str(error), "code": error.code}, status=error.status)


class InvoicePages(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


STATE = OpenApiResponse(BillingErrorSerializer,
                        description=_("The invoice's status forbids it."))
AMOUNT = OpenApiResponse(BillingErrorSerializer,
                         description=_("The amount is more than is due or refundable."))
MONEY_ROLES = OpenApiResponse(description=_("Only tenant admins and managers."))


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     mixins.DestroyModelMixin, TenantScopedViewSet):
    """Invoices of the accounts the caller sees. Filters: q (number or account), number,
    status (repeatable), account, contact, contract, order, currency, language,
    issued_after/issued_before, due_before. Only drafts change or are deleted (409
    otherwise); an issued invoice is voided instead."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = InvoiceFilter
    ordering_fields = ["id", "number", "issue_date", "due_date", "total", "created"]
    ordering = ["-id"]
    pagination_class = InvoicePages

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return (visible_invoices(queryset, self.request.user)
                .prefetch_related("lines", "payments__refunds"))

    def fresh(self, invoice: Invoice) -> Invoice:
        return self.get_queryset().get(pk=invoice.pk)

    def answer(self, invoice: Invoice, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.fresh(invoice)).data, status=code)

    def require_money_role(self) -> None:
        if not handles_money(self.request.user):
            raise PermissionDenied(_("Only tenant admins and managers may do this."))

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()
        serializer.instance = self.fresh(serializer.instance)

    @extend_schema(responses={200: InvoiceSerializer, 409: STATE})
    def update(self, request, *args, **kwargs):
        if not self.get_object().is_draft:
            return refused(services.state_error("not_draft"))
        try:
            return super().update(request, *args, **kwargs)
        except BillingError as error:  # issued by someone else meanwhile
            return refused(error)

    @extend_schema(responses={200: InvoiceSerializer, 409: STATE})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.save()
        serializer.instance = self.fresh(serializer.instance)

    @extend_schema(responses={204: None, 409: STATE})
    def destroy(self, request, *args, **kwargs):
        try:
            services.delete_draft(self.get_object())
        except BillingError as error:
            return refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: InvoiceSerializer, 409: STATE})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Give the draft its number (the next of the year, without gaps) and open it."""
        try:
            invoice = services.issue(self.get_object())
        except BillingError as error:
            return refused(error)
        return self.answer(invoice)

    @extend_schema(request=None, responses={200: InvoiceSerializer, 403: MONEY_ROLES,
                                            409: STATE})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Cancel an invoice nothing was paid on (tenant admins and managers)."""
        invoice = self.get_object()
        self.require_money_role()
        try:
            invoice = services.void(invoice)
        except BillingError as error:
            return refused(error)
        return self.answer(invoice)

    @extend_schema(methods=["GET"], request=None, responses={200: PaymentSerializer(many=True)})
    @extend_schema(methods=["POST"], request=PaymentInputSerializer, responses={
        201: PaymentSerializer, 400: AMOUNT, 403: MONEY_ROLES, 409: STATE})
    @action(detail=True, methods=["get", "post"])
    def payments(self, request, pk=None):
        """The invoice's payments; POST records one received by hand (bank transfer, cash or
        other; tenant admins and managers). More than is due is refused (400)."""
        invoice = self.get_object()
        if request.method == "GET":
            return Response(PaymentSerializer(invoice.payments.all(), many=True).data)
        self.require_money_role()
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            payment = services.record_payment(invoice, by=request.user, **data.validated_data)
        except BillingError as error:
            return refused(error)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RefundInputSerializer, responses={
        201: RefundSerializer, 400: AMOUNT, 403: MONEY_ROLES, 409: STATE})
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        """Refund part or all of one of the invoice's payments (tenant admins and managers);
        a Stripe payment is refunded through Stripe first."""
        from crm_apps.billing.refunds import refund_payment

        invoice = self.get_object()
        self.require_money_role()
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = Payment.objects.filter(invoice=invoice, pk=data.validated_data["payment"]).first()
        if payment is None:
            return Response({"payment": [_("This invoice has no such payment.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            row = refund_payment(payment, data.validated_data["amount"],
                                 reason=data.validated_data.get("reason", ""), by=request.user)
        except BillingError as error:
            return refused(error)
        return Response(RefundSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"],
            renderer_classes=[PDFRenderer, renderers.JSONRenderer])
    def pdf(self, request, pk=None):
        """The invoice as a PDF in the tenant's branding, in the invoice's language."""
        from crm_apps.billing.mailing import pdf_filename
        from crm_apps.billing.pdf import render_invoice_pdf

        invoice = self.get_object()
        response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(invoice)}"'
        return response

    @extend_schema(request=None, responses={
        200: InvoiceSerializer,
        400: OpenApiResponse(BillingErrorSerializer, description=_("Its contact has no e-mail.")),
        409: STATE,
        503: OpenApiResponse(BillingErrorSerializer,
                             description=_("The mail server refused it."))})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """E-mail the issued invoice with its PDF to its contact, in the invoice's language."""
        from crm_apps.billing.mailing import send_invoice

        invoice = self.get_object()
        try:
            with acting_as(request.user):
                send_invoice(invoice, by=request.user)
        except BillingError as error:
            return refused(error)
        except (smtplib.SMTPException, OSError):
            return Response({"detail": _("The mail server did not take the message; the "
                                         "invoice was not sent. Try again later."),
                             "code": "mail"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return self.answer(invoice)


class StatementView(APIView):
    """An account's statement: opening balance, invoices, payments and refunds of the range
    (days in the tenant's time zone) with a running balance, and the closing balance."""

    permission_classes = [IsTenantStaff]

    @extend_schema(parameters=[
        OpenApiParameter("account", int, required=True),
        OpenApiParameter("start", OpenApiTypes.DATE, required=True),
        OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        OpenApiParameter("currency", str)], responses={200: StatementSerializer})
    def get(self, request):
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        account = get_object_or_404(visible(Account.objects.all(), request.user),
                                    pk=values["account"])
        result = statements.statement(account, values["start"], values["end"],
                                      currency=values.get("currency"))
        return Response(StatementSerializer(result).data)
