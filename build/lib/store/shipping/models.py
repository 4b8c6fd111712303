"""Oscar's shipping models unchanged (weight-based and order-and-item charges)."""

from oscar.apps.shipping.models import *  # noqa: F403 - Oscar's fork pattern
