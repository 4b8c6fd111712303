"""Log records that say which tenant and which request they come from, and a JSON formatter.

Kept free of model imports: the LOGGING setting loads this module while Django starts.
"""

import logging

from core.request_id import current_request_id

NO_TENANT = "-"


def current_tenant() -> str:
    """The schema the database connection is on (set per request by the tenancy middleware and
    per task by tenant-schemas-celery), or "-" where Django's database layer is unavailable."""
    try:
        from django.db import connection

        return connection.schema_name or NO_TENANT
    except Exception:  # logging must never fail because of where it was called from
        return NO_TENANT


def current_task_id() -> str:
    """The id of the Celery task running in this thread, or ""."""
    try:
        from celery import current_task

        return (current_task and current_task.request.id) or ""
    except Exception:
        return ""


class LogContextFilter(logging.Filter):
    """Adds ``tenant`` and ``request_id`` to every record (a task's id inside a Celery task).

    Attached to handlers, so records propagated from every logger pass through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "tenant"):
            record.tenant = current_tenant()
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or current_task_id() or "-"
        return True


def json_formatter(**kwargs) -> logging.Formatter:
    """One JSON object per line: time, level, logger, tenant, request id, message and extras."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(tenant)s %(request_id)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        **kwargs,
    )
