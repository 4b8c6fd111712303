"""The import API: preview an upload, import it as a background job, fetch its error report."""

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsTenantStaff
from crm_apps.customers import imports
from crm_apps.customers.import_report import report_job, report_response
from realtime.jobs import serialize as serialize_job

TRUE_WORDS = {"1", "true", "yes", "on"}
FILE_HELP = _("CSV (UTF-8 or GB18030) or XLSX, up to 50 MB.")


def _requests(name: str):
    upload = inline_serializer(f"{name}ImportPreviewRequest", {
        "file": serializers.FileField(help_text=FILE_HELP),
    })
    start = inline_serializer(f"{name}ImportRequest", {
        "file": serializers.FileField(help_text=FILE_HELP),
        "mapping": serializers.CharField(help_text=_(
            "JSON: column header → field name (custom fields as custom.<code>).")),
        "duplicates": serializers.ChoiceField(choices=imports.DUPLICATE_MODES, default="skip"),
        "dry_run": serializers.BooleanField(default=False, help_text=_(
            "Check every row and report the problems without writing anything.")),
    })
    return upload, start


def _problem(message, code=status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": str(message)}, status=code)


def _upload(request):
    """The uploaded file after the checks every endpoint shares, or the error response."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, _problem(_("Attach the file to import as “file”."))
    if upload.size > imports.MAX_UPLOAD_BYTES:
        return None, _problem(_("The file is larger than 50 MB: split it and import the parts."),
                              status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if not upload.size:
        return None, _problem(_("The file is empty."))
    return upload, None


class ImportPreviewView(APIView):
    """Detected headers, the proposed mapping (remembered for this layout in this tenant, else
    suggested from English or Chinese header names and custom field labels), the fields the
    user may fill and the first rows of an upload."""

    permission_classes = [IsTenantStaff]
    parser_classes = [MultiPartParser, FormParser]
    kind = "contacts"

    def post(self, request):
        upload, problem = _upload(request)
        if problem:
            return problem
        try:
            upload.seek(0)
            fmt = imports.file_format(upload.name, upload.read(8))
            return Response(imports.preview(upload.file, fmt, user=request.user,
                                            kind=self.kind))
        except imports.UploadError as exc:
            return _problem(exc)


class ImportView(APIView):
    """Import records from CSV or XLSX with a column mapping, as a background job (202)."""

    permission_classes = [IsTenantStaff]
    parser_classes = [MultiPartParser, FormParser]
    kind = "contacts"

    def post(self, request):
        upload, problem = _upload(request)
        if problem:
            return problem
        raw = request.data.get("mapping", "")
        try:
            mapping = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return _problem(_("The mapping is not valid JSON."))
        dry_run = str(request.data.get("dry_run", "")).strip().lower() in TRUE_WORDS
        try:
            job = imports.queue_import(
                request.user, upload, mapping=mapping,
                duplicates=str(request.data.get("duplicates") or "skip"), dry_run=dry_run,
                language=getattr(request, "LANGUAGE_CODE", ""), kind=self.kind)
        except imports.UploadError as exc:
            return _problem(exc)
        job.refresh_from_db()
        return Response(serialize_job(job), status=status.HTTP_202_ACCEPTED)


CONTACT_UPLOAD, CONTACT_START = _requests("Contact")
ACCOUNT_UPLOAD, ACCOUNT_START = _requests("Account")


class ContactImportPreviewView(ImportPreviewView):
    kind = "contacts"

    @extend_schema(request={"multipart/form-data": CONTACT_UPLOAD}, responses=dict)
    def post(self, request):
        return super().post(request)


class ContactImportView(ImportView):
    """Import contacts: duplicates by e-mail address, else by phone or mobile number."""

    kind = "contacts"

    @extend_schema(request={"multipart/form-data": CONTACT_START}, responses={202: dict})
    def post(self, request):
        return super().post(request)


class AccountImportPreviewView(ImportPreviewView):
    kind = "accounts"

    @extend_schema(request={"multipart/form-data": ACCOUNT_UPLOAD}, responses=dict)
    def post(self, request):
        return super().post(request)


class AccountImportView(ImportView):
    """Import accounts: duplicates by website domain, else by name (any case)."""

    kind = "accounts"

    @extend_schema(request={"multipart/form-data": ACCOUNT_START}, responses={202: dict})
    def post(self, request):
        return super().post(request)


class ImportReportView(APIView):
    """The per-row error report of an import job as CSV (row, column, field, value, problem
    and the row's cells): for whoever started the import and the tenant admins."""

    permission_classes = [IsTenantStaff]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request, pk):
        return report_response(report_job(request.user, pk))
