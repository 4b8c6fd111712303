"""The contact import API: preview an upload, then import it as a background job."""

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsTenantStaff
from crm_apps.customers import imports
from realtime.jobs import serialize as serialize_job

TRUE_WORDS = {"1", "true", "yes", "on"}

UploadRequest = inline_serializer("ContactImportPreviewRequest", {
    "file": serializers.FileField(help_text=_("CSV (UTF-8 or GB18030) or XLSX, up to 50 MB.")),
})
ImportRequest = inline_serializer("ContactImportRequest", {
    "file": serializers.FileField(help_text=_("CSV (UTF-8 or GB18030) or XLSX, up to 50 MB.")),
    "mapping": serializers.CharField(help_text=_("JSON: column header → contact field.")),
    "duplicates": serializers.ChoiceField(choices=imports.DUPLICATE_MODES, default="skip"),
    "dry_run": serializers.BooleanField(default=False),
})


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


class ContactImportPreviewView(APIView):
    """Detected headers, the proposed mapping (remembered for this layout in this tenant, else
    suggested from English or Chinese header names) and the first rows of an upload."""

    permission_classes = [IsTenantStaff]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": UploadRequest}, responses=dict)
    def post(self, request):
        upload, problem = _upload(request)
        if problem:
            return problem
        try:
            upload.seek(0)
            fmt = imports.file_format(upload.name, upload.read(8))
            return Response(imports.preview(upload.file, fmt))
        except imports.UploadError as exc:
            return _problem(exc)


class ContactImportView(APIView):
    """Import contacts from CSV or XLSX with a column mapping, as a background job (202)."""

    permission_classes = [IsTenantStaff]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ImportRequest}, responses={202: dict})
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
                language=getattr(request, "LANGUAGE_CODE", ""))
        except imports.UploadError as exc:
            return _problem(exc)
        job.refresh_from_db()
        return Response(serialize_job(job), status=status.HTTP_202_ACCEPTED)
