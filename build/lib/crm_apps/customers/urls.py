"""URLs of the account and contact pages (/app/customers/)."""

from django.urls import path

from crm_apps.customers import bin_views, history_views, list_actions, merge_views, views

app_name = "customers"
urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account-create"),
    path("accounts/bulk/", list_actions.AccountBulkView.as_view(), name="account-bulk"),
    path("accounts/export/", list_actions.AccountExportView.as_view(), name="account-export"),
    path("accounts/views/", list_actions.AccountSaveViewView.as_view(),
         name="account-save-view"),
    path("accounts/merge/", merge_views.AccountMergeView.as_view(), name="account-merge"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/edit/", views.AccountUpdateView.as_view(), name="account-edit"),
    path("accounts/<int:pk>/history/", history_views.AccountHistoryView.as_view(),
         name="account-history"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(),
         name="account-delete"),
    path("accounts/<int:pk>/merge/", merge_views.AccountMergeSearchView.as_view(),
         name="account-merge-with"),
    path("contacts/", views.ContactListView.as_view(), name="contact-list"),
    path("contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
    path("contacts/bulk/", list_actions.ContactBulkView.as_view(), name="contact-bulk"),
    path("contacts/export/", list_actions.ContactExportView.as_view(), name="contact-export"),
    path("contacts/views/", list_actions.ContactSaveViewView.as_view(),
         name="contact-save-view"),
    path("contacts/merge/", merge_views.ContactMergeView.as_view(), name="contact-merge"),
    path("contacts/<int:pk>/", views.ContactDetailView.as_view(), name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact-edit"),
    path("contacts/<int:pk>/history/", history_views.ContactHistoryView.as_view(),
         name="contact-history"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(),
         name="contact-delete"),
    path("contacts/<int:pk>/merge/", merge_views.ContactMergeSearchView.as_view(),
         name="contact-merge-with"),
    path("views/<int:pk>/update/", list_actions.UpdateSavedViewView.as_view(),
         name="saved-view-update"),
    path("views/<int:pk>/delete/", list_actions.DeleteSavedViewView.as_view(),
         name="saved-view-delete"),
    path("bin/", bin_views.BinView.as_view(), name="bin"),
    path("bin/restore/", bin_views.RestoreView.as_view(), name="bin-restore"),
]
