"""Oscar's partner models (stock records, partners) unchanged."""

from oscar.apps.partner.models import *  # noqa: E402, F403 - Oscar's fork pattern
