"""The forked partner app's configuration."""

from oscar.apps.partner import apps


class PartnerConfig(apps.PartnerConfig):
    name = "store.partner"

    def ready(self):
        super().ready()
        from store.partner import receivers  # noqa: F401 - connects the signal handlers
