"""The forked search app's configuration: the database search view at /shop/search/."""

from oscar.apps.search import apps


class SearchConfig(apps.SearchConfig):
    name = "store.search"

    def ready(self):
        super().ready()
        from store.search.views import ProductSearchView

        self.search_view = ProductSearchView
