"""The tenant API's OpenAPI schema is complete: generated without a warning and valid."""

from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

EXPECTED_PATHS = [
    "/api/v1/accounts/", "/api/v1/contacts/", "/api/v1/activities/", "/api/v1/timeline/",
    "/api/v1/teams/", "/api/v1/tags/", "/api/v1/customer-classes/", "/api/v1/audit/",
    "/api/v1/tokens/", "/api/v1/imports/contacts/", "/api/v1/custom-fields/",
    "/api/v1/hidden-fields/", "/api/v1/saved-views/",
    "/api/v1/leads/", "/api/v1/leads/{id}/convert/", "/api/v1/leads/{id}/disqualify/",
    "/api/v1/lead-assignment-rules/", "/api/v1/lead-scoring-rules/",
    "/api/v1/lead-score-models/", "/api/v1/lead-score-models/retrain/",
    "/api/v1/imports/leads/", "/api/v1/imports/leads/preview/",
    "/api/v1/territories/", "/api/v1/territories/reassign/", "/api/v1/quotas/",
    "/api/v1/forecast/", "/api/v1/forecast/history/",
    "/api/v1/pipelines/", "/api/v1/stages/", "/api/v1/opportunities/",
    "/api/v1/opportunities/{id}/move/",
    "/api/v1/contracts/", "/api/v1/contracts/{id}/", "/api/v1/contracts/{id}/renew/",
    "/api/v1/sla-policies/", "/api/v1/sla-policies/{id}/", "/api/v1/business-hours/",
    "/api/v1/business-hours/{id}/", "/api/v1/holidays/", "/api/v1/holidays/{id}/",
    "/api/v1/tickets/", "/api/v1/tickets/{id}/", "/api/v1/tickets/{id}/messages/",
    "/api/v1/tickets/{id}/merge/", "/api/v1/tickets/{id}/link/",
    "/api/v1/tickets/{id}/sign-off/", "/api/v1/tickets/{id}/attachments/{attachment_id}/",
    "/api/v1/canned-replies/", "/api/v1/canned-replies/{id}/",
    "/api/v1/ticket-assignment-rules/", "/api/v1/ticket-assignment-rules/{id}/",
    "/api/v1/service-reports/csat/", "/api/v1/service-reports/complaints/",
    "/api/v1/quotes/", "/api/v1/quotes/{id}/", "/api/v1/quotes/{id}/new-version/",
    "/api/v1/quotes/{id}/send/", "/api/v1/quotes/{id}/pdf/", "/api/v1/catalogue-products/",
    "/api/v1/commission-plans/", "/api/v1/commission-plans/{id}/",
    "/api/v1/commission-statements/", "/api/v1/commission-statements/{id}/",
    "/api/v1/commission-statements/{id}/recompute/",
    "/api/v1/commission-statements/{id}/submit/",
    "/api/v1/commission-statements/{id}/approve/",
    "/api/v1/commission-statements/{id}/reject/",
    "/api/v1/commission-statements/generate/",
    "/api/v1/invoices/", "/api/v1/invoices/{id}/", "/api/v1/invoices/{id}/issue/",
    "/api/v1/invoices/{id}/void/", "/api/v1/invoices/{id}/payments/",
    "/api/v1/invoices/{id}/refunds/", "/api/v1/invoices/{id}/pdf/",
    "/api/v1/invoices/{id}/send/", "/api/v1/statements/",
]


def test_schema_has_every_endpoint_without_warnings(in_acme):
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("core.api_urls"))])
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
    problems = sorted({*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache})
    GENERATOR_STATS.reset()
    assert problems == []
    validate_schema(schema)  # raises on an invalid OpenAPI document
    missing = [route for route in EXPECTED_PATHS if route not in schema["paths"]]
    assert missing == []
    # Every operation says what it answers, so clients can be generated from the schema.
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("responses"), f"{method.upper()} {route} has no responses"
