"""Oscar's offer models (the fork adds none of its own here; segment links live beside)."""

from oscar.apps.offer.models import *  # noqa: E402, F403 - Oscar's fork pattern
