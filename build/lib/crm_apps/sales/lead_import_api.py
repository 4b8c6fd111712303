"""The lead import API (/api/v1/imports/leads/), on the customers' import framework."""

from drf_spectacular.utils import extend_schema

from crm_apps.customers.import_api import ImportPreviewView, ImportView, _requests

LEAD_UPLOAD, LEAD_START = _requests("Lead")


class LeadImportPreviewView(ImportPreviewView):
    kind = "leads"

    @extend_schema(request={"multipart/form-data": LEAD_UPLOAD}, responses=dict)
    def post(self, request):
        return super().post(request)


class LeadImportView(ImportView):
    """Import leads: duplicates by e-mail address; new leads without an owner get one from
    the assignment rules, and every imported lead is scored."""

    kind = "leads"

    @extend_schema(request={"multipart/form-data": LEAD_START}, responses={202: dict})
    def post(self, request):
        return super().post(request)
