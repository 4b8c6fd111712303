"""Signals core sends for the layers above it (core imports nothing from them)."""

from django.dispatch import Signal

# Sent after a user is created in the current tenant: sender=the user model, user=, role=.
user_created = Signal()
