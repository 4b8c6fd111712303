"""The quote API: /api/v1/quotes/ (lines nested, new versions, sending, the PDF) and the
read-only catalogue picker /api/v1/catalogue-products/."""

import smtplib

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.audit import acting_as
from crm_apps.customers.visibility import visible
from crm_apps.quotes import services
from crm_apps.quotes.filters import CatalogueProductFilter, QuoteFilter
from crm_apps.quotes.models import Quote
from crm_apps.quotes.serializers import (
    CatalogueProductSerializer,
    QuoteSerializer,
    quotable_products,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class QuoteErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class QuotePages(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


class ByTitle(CursorPagination):
    ordering = ("title", "id")
    page_size_query_param = "page_size"
    max_page_size = 200


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for application/pdf; the action answers the bytes itself."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def quote_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


NOT_A_DRAFT = OpenApiResponse(QuoteErrorSerializer,
                              description=_("The quote is not a draft."))


class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   mixins.CreateModelMixin, mixins.UpdateModelMixin,
                   mixins.DestroyModelMixin, TenantScopedViewSet):
    """Quotes the caller may see (role and team, like customer records), every version a row.
    Filters: number, status, account, contact, opportunity, owner, team, currency, language,
    valid_after/valid_before, latest (only each number's newest version), q (title, number or
    account). Only drafts change (409 otherwise); deleting moves a quote to the bin."""

    queryset = Quote.objects.all()
    serializer_class = QuoteSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = QuoteFilter
    ordering_fields = ["id", "number", "version", "valid_until", "total", "created", "updated"]
    ordering = ["-id"]
    pagination_class = QuotePages

    def scope_queryset(self, queryset):
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return (visible(queryset, self.request.user)
                .select_related("next_version").prefetch_related("lines"))

    def fresh(self, quote: Quote) -> Quote:
        return self.get_queryset().get(pk=quote.pk)

    def perform_create(self, serializer):
        with acting_as(self.request.user):
            serializer.save()
        serializer.instance = self.fresh(serializer.instance)

    @extend_schema(responses={200: QuoteSerializer, 409: NOT_A_DRAFT})
    def update(self, request, *args, **kwargs):
        # Refused before the body is read: whatever it says, a sent quote does not change.
        try:
            services.ensure_editable(self.get_object())
        except services.NotEditable as error:
            raise Conflict(str(error)) from None
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: QuoteSerializer, 409: NOT_A_DRAFT})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        try:
            with acting_as(self.request.user):
                serializer.save()
        except services.QuoteError as error:  # changed by someone else meanwhile
            raise Conflict(str(error)) from None
        serializer.instance = self.fresh(serializer.instance)

    @extend_schema(responses={204: None, 409: OpenApiResponse(
        QuoteErrorSerializer, description=_("An accepted quote stays."))})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            with acting_as(self.request.user):
                services.delete_quote(instance)
        except services.QuoteError as error:
            raise Conflict(str(error)) from None

    @extend_schema(request=None, responses={
        201: QuoteSerializer,
        409: OpenApiResponse(QuoteErrorSerializer, description=_(
            "Accepted, or not the newest version.")),
    })
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """Copy the quote and its lines into the next version, a draft; a draft or sent
        quote becomes superseded."""
        quote = self.get_object()
        try:
            with acting_as(request.user):
                following = services.new_version(quote, acting_user=request.user)
        except services.QuoteError as error:
            raise Conflict(str(error)) from None
        return Response(self.get_serializer(self.fresh(following)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={
        200: QuoteSerializer,
        400: OpenApiResponse(QuoteErrorSerializer,
                             description=_("Its contact has no e-mail.")),
        409: OpenApiResponse(QuoteErrorSerializer,
                             description=_("The quote cannot be sent.")),
        503: OpenApiResponse(QuoteErrorSerializer,
                             description=_("The mail server refused it.")),
    })
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """E-mail the quote with its PDF and the link the customer opens in the portal."""
        from crm_apps.quotes.mailing import send_quote

        quote = self.get_object()
        try:
            with acting_as(request.user):
                send_quote(quote, by=request.user)
        except services.QuoteError as error:
            # 409 when the quote's state forbids it, 400 when data is missing (no e-mail).
            return Response({"detail": str(error)},
                            status=getattr(error, "status", status.HTTP_409_CONFLICT))
        except (smtplib.SMTPException, OSError):
            return Response({"detail": _("The mail server did not take the message; the "
                                         "quote was not sent. Try again later.")},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(self.get_serializer(self.fresh(quote)).data)

    @extend_schema(request=None, responses={
        (200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"],
            renderer_classes=[PDFRenderer, renderers.JSONRenderer])
    def pdf(self, request, pk=None):
        """The quote as a PDF in the tenant's branding, in the quote's language."""
        from crm_apps.quotes.pdf import render_quote_pdf

        quote = self.get_object()
        response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{quote_filename(quote)}"'
        return response


class CatalogueProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              TenantScopedViewSet):
    """The store's products as quote lines take them (title, SKU, price excluding tax,
    currency), for picking lines; ``search`` looks in the title, SKU and UPC."""

    queryset = quotable_products()
    serializer_class = CatalogueProductSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CatalogueProductFilter
    pagination_class = ByTitle

    def scope_queryset(self, queryset):
        # The catalogue is the whole tenant's shop: every staff member may quote from it.
        return queryset.prefetch_related("stockrecords")
