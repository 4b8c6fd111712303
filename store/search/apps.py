"""The forked search app's configuration."""

from oscar.apps.search import apps


class SearchConfig(apps.SearchConfig):
    name = "store.search"
