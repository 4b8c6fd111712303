"""The shared base: users, tenancy helpers, permissions, UI shell."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core.login_language import activate_preferred_language

        user_logged_in.connect(activate_preferred_language,
                               dispatch_uid="core.login_language")
