"""URLs of the public (operator) host: landing, sign-up, operator console and API."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import health
from core.observability import views as observability_views
from crm_apps.payments import webhooks as payment_webhooks
from tenants import views as tenant_views

operator_api_schema = SpectacularAPIView.as_view(
    patterns=[path("api/operator/v1/", include("tenants.api_urls"))],
    custom_settings={"TITLE": "Operator API",
                     "DESCRIPTION": "Provision and manage tenants (token authentication)."},
)

urlpatterns = [
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("metrics", observability_views.metrics, name="metrics"),
    path("", tenant_views.LandingView.as_view(), name="landing"),
    path("signup/", tenant_views.SignupView.as_view(), name="signup"),
    path("operator/", include("tenants.urls")),
    path("api/operator/v1/", include("tenants.api_urls")),
    path("api/operator/schema/", operator_api_schema, name="operator-api-schema"),
    path("api/operator/docs/", SpectacularSwaggerView.as_view(url_name="operator-api-schema"),
         name="operator-api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Stripe Connect: the platform's one endpoint, routed to tenants by connected account.
    path("webhooks/stripe/", include(payment_webhooks.platform_urlpatterns)),
]
