"""URLs of the sales pipeline pages (/app/sales/)."""

from django.urls import path

from crm_apps.sales import board_views

app_name = "sales"
urlpatterns = [
    path("pipeline/", board_views.BoardView.as_view(), name="board"),
    path("pipeline/cards/", board_views.BoardCardsView.as_view(), name="board-cards"),
    path("opportunities/", board_views.OpportunityListView.as_view(),
         name="opportunity-list"),
    path("opportunities/new/", board_views.OpportunityCreateView.as_view(),
         name="opportunity-create"),
    path("opportunities/<int:pk>/", board_views.OpportunityDetailView.as_view(),
         name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", board_views.OpportunityUpdateView.as_view(),
         name="opportunity-edit"),
]
