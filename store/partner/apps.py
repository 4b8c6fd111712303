"""The forked partner app's configuration."""

from oscar.apps.partner import apps


class PartnerConfig(apps.PartnerConfig):
    name = "store.partner"
