"""URLs of the back office's shop pages (/app/settings/shop/)."""

from django.urls import path

from store.shop import views

app_name = "shop-settings"
urlpatterns = [
    path("", views.ShopSettingsView.as_view(), name="settings"),
    path("price-lists/", views.PriceListIndexView.as_view(), name="price-lists"),
    path("price-lists/<int:pk>/", views.PriceListDetailView.as_view(), name="price-list"),
    path("price-lists/<int:pk>/delete/", views.PriceListDeleteView.as_view(),
         name="price-list-delete"),
    path("price-lists/<int:pk>/items/<int:item_pk>/delete/",
         views.PriceListItemDeleteView.as_view(), name="price-list-item-delete"),
]
