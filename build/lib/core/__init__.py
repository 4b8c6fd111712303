"""Core: settings, tenancy, users and roles, and the Celery app every task is registered on."""

from core.celery import app as celery_app

__all__ = ["celery_app"]
