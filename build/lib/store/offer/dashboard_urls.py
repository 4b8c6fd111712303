"""URLs of the segment offer pages, under /shop/dashboard/segment-offers/."""

from django.urls import path

from store.offer import dashboard

app_name = "segment-offers"

urlpatterns = [
    path("", dashboard.SegmentOfferListView.as_view(), name="list"),
    path("new/", dashboard.SegmentOfferEditView.as_view(), name="create"),
    path("<int:pk>/", dashboard.SegmentOfferEditView.as_view(), name="edit"),
    path("<int:pk>/report/", dashboard.SegmentOfferReportView.as_view(), name="report"),
    path("vouchers/issue/", dashboard.VoucherIssueView.as_view(), name="issue-vouchers"),
]
