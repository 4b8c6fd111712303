"""Oscar's checkout has no models; kept so the fork mirrors the app it replaces."""

from oscar.apps.checkout.models import *  # noqa: F403
