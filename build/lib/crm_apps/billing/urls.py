"""URLs of the invoice pages (/app/billing/)."""

from django.urls import path

from crm_apps.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="list"),
    path("new/", views.InvoiceCreateView.as_view(), name="create"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.InvoiceEditView.as_view(), name="edit"),
    path("<int:pk>/issue/", views.InvoiceIssueView.as_view(), name="issue"),
    path("<int:pk>/send/", views.InvoiceSendView.as_view(), name="send"),
    path("<int:pk>/void/", views.InvoiceVoidView.as_view(), name="void"),
    path("<int:pk>/delete/", views.InvoiceDeleteView.as_view(), name="delete"),
    path("<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
    path("<int:pk>/payments/new/", views.PaymentCreateView.as_view(), name="payment-create"),
    path("<int:pk>/payments/<int:payment_pk>/refund/", views.RefundCreateView.as_view(),
         name="refund"),
    path("statement/<int:account_pk>/", views.StatementView.as_view(), name="statement"),
]
