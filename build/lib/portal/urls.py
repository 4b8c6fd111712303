"""URLs of the customer portal (/portal/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from core.auth_views import customer_login
from portal import account_views as accounts
from portal import help_views as help_pages
from portal import invite_views, quote_views, register_views, views
from portal import invoice_views as invoices
from portal import order_views as orders
from portal import ticket_views as tickets

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", customer_login, name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("quotes/<str:token>/", quote_views.QuoteDetailView.as_view(), name="quote"),
    path("quotes/<str:token>/pdf/", quote_views.QuotePdfView.as_view(), name="quote-pdf"),
    path("quotes/<str:token>/accept/", quote_views.QuoteAcceptView.as_view(),
         name="quote-accept"),
    path("quotes/<str:token>/decline/", quote_views.QuoteDeclineView.as_view(),
         name="quote-decline"),
    path("logo/", quote_views.brand_logo, name="brand-logo"),
    path("invite/<str:token>/", invite_views.InviteAcceptView.as_view(), name="invite"),
    path("contacts/<int:pk>/invite/", invite_views.InviteToPortalView.as_view(),
         name="invite-contact"),
    path("register/", register_views.RegisterView.as_view(), name="register"),
    path("register/verify/<str:token>/", register_views.VerifyView.as_view(),
         name="register-verify"),
    path("profile/", accounts.ProfileView.as_view(), name="profile"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", accounts.PasswordResetDoneView.as_view(),
         name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(),
         name="password-reset-confirm"),
    path("password-reset/done/", accounts.PasswordResetCompleteView.as_view(),
         name="password-reset-complete"),
    path("tickets/", tickets.TicketListView.as_view(), name="tickets"),
    path("tickets/new/", tickets.TicketCreateView.as_view(), name="ticket-new"),
    path("tickets/suggest/", tickets.SuggestView.as_view(), name="ticket-suggest"),
    path("tickets/<int:pk>/", tickets.TicketDetailView.as_view(), name="ticket-detail"),
    path("tickets/<int:pk>/reply/", tickets.TicketReplyView.as_view(), name="ticket-reply"),
    path("tickets/<int:pk>/status/", tickets.TicketStatusView.as_view(),
         name="ticket-status"),
    path("tickets/<int:pk>/satisfaction/", tickets.TicketSatisfactionView.as_view(),
         name="ticket-satisfaction"),
    path("tickets/<int:pk>/attachments/<int:attachment_pk>/",
         tickets.AttachmentDownloadView.as_view(), name="ticket-attachment"),
    path("help/", help_pages.HelpIndexView.as_view(), name="help"),
    path("help/topics/<int:pk>/", help_pages.HelpCategoryView.as_view(), name="help-category"),
    path("help/articles/<int:pk>/", help_pages.HelpArticleView.as_view(), name="help-article"),
    path("help/articles/<int:pk>/vote/", help_pages.HelpVoteView.as_view(), name="help-vote"),
    path("orders/", orders.OrderListView.as_view(), name="orders"),
    path("orders/<str:number>/", orders.OrderDetailView.as_view(), name="order"),
    path("invoices/", invoices.InvoiceListView.as_view(), name="invoices"),
    path("invoices/pay/", invoices.PayInvoicesView.as_view(), name="invoice-pay"),
    path("invoices/paid/<uuid:payment_id>/", invoices.PaymentConfirmationView.as_view(),
         name="invoice-paid"),
    path("invoices/<int:pk>/", invoices.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<int:pk>/pdf/", invoices.InvoicePdfView.as_view(), name="invoice-pdf"),
]
