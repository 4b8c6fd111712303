"""URLs of a tenant host. Order matters: Oscar before Wagtail's catch-all, i18n for Oscar."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from core import health
from core.auth_views import handoff_login
from core.observability import views as observability_views
from store.offer.voucher_views import IssuedVoucherAddView
from store.shop.media import media_url_prefix, tenant_media

api_schema = SpectacularAPIView.as_view(patterns=[path("api/v1/", include("core.api_urls"))])

urlpatterns = [
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("metrics", observability_views.metrics, name="metrics"),
    path("app/jobs/", include("realtime.urls_jobs")),
    path("app/sales/forecast/", include("crm_apps.forecast.urls")),
    path("app/sales/territories/", include("crm_apps.forecast.territory_urls")),
    path("app/sales/quotas/", include("crm_apps.forecast.quota_urls")),
    path("app/sales/leads/", include("crm_apps.sales.lead_urls")),
    path("app/sales/", include("crm_apps.sales.pipeline_urls")),
    path("app/customers/import/", include("crm_apps.customers.import_page_urls")),
    path("app/customers/", include("crm_apps.customers.urls")),
    path("app/settings/general/", include("crm_apps.customization.general_urls")),
    path("app/settings/branding/", include("crm_apps.customization.branding_urls")),
    path("app/settings/shop/", include("store.shop.urls")),
    path("app/settings/fields/", include("crm_apps.customization.urls")),
    path("app/settings/audit/", include("crm_apps.customers.audit_urls")),
    path("app/settings/service/email/", include("crm_apps.service.mail_settings_views")),
    path("inbound/email/", include("crm_apps.service.inbound_views")),
    path("app/settings/payments/", include("crm_apps.payments.views")),
    path("webhooks/stripe/", include("crm_apps.payments.webhooks")),
    path("app/settings/service/", include("crm_apps.service.sla_urls")),
    path("app/activities/", include("crm_apps.activities.urls")),
    path("app/contracts/", include("crm_apps.contracts.urls")),
    path("app/commissions/", include("crm_apps.commissions.urls")),
    path("app/quotes/", include("crm_apps.quotes.urls")),
    path("app/billing/", include("crm_apps.billing.urls")),
    path("app/segments/", include("crm_apps.segments.urls")),
    path("app/service/reports/", include("crm_apps.service.report_urls")),
    path("app/service/", include("crm_apps.service.urls")),
    path("calendar/", include("crm_apps.activities.feed_urls")),
    path("app/", include("crm_apps.backoffice.urls")),
    path("notifications/", include("realtime.urls")),
    path("portal/", include("portal.urls")),
    path("survey/", include("crm_apps.service.survey_urls")),
    path("handoff/", handoff_login, name="handoff-login"),
    path("login/", RedirectView.as_view(pattern_name="backoffice:login", query_string=True),
         name="login"),
    path("api/v1/", include("core.api_urls")),
    path("api/schema/", api_schema, name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("cms-admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before Oscar's URLs: segment offers in its dashboard, and its voucher form with the
    # rules of vouchers issued to a segment.
    path("shop/dashboard/segment-offers/", include("store.offer.dashboard_urls")),
    path("shop/basket/vouchers/add/", IssuedVoucherAddView.as_view()),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
]
# Each host serves its own tenant's public media only (store/shop/media.py).
urlpatterns.append(path(f"{media_url_prefix()}/<str:schema>/<path:path>", tenant_media,
                        name="tenant-media"))
urlpatterns.append(path("", include(wagtail_urls)))
