"""The forked offer app's configuration."""

from oscar.apps.offer import apps


class OfferConfig(apps.OfferConfig):
    name = "store.offer"
