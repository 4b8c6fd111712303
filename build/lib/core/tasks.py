"""Tenant-bound tasks: the base class that refuses to run without a tenant, tenant links, and
outgoing e-mail."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.task import TenantTask as SchemaCarryingTask

from core.request_id import current_request_id, request_id_var
from core.zones import tenant_zone_active


class NoTenantError(RuntimeError):
    """A tenant task was queued, or arrived at a worker, without a tenant schema."""


class TenantTask(SchemaCarryingTask):
    """Every task runs inside the tenant it was queued in, or not at all.

    tenant-schemas-celery records the caller's schema in the message and switches to it in the
    worker; a message recorded from the public schema would run there, against the operator's
    tables. Tasks that really belong to the platform say so with ``public=True``.
    """

    abstract = True
    public = False

    def _require_tenant(self) -> None:
        if not self.public and connection.schema_name == get_public_schema_name():
            raise NoTenantError(
                f"{self.name} is a tenant task and was queued without a tenant schema")

    def apply_async(self, args=None, kwargs=None, **options):
        # Fail in the caller, where the mistake is, rather than only in the worker.
        headers = options.get("headers") or {}
        if "_schema_name" not in headers:
            self._require_tenant()
        if current_request_id() and "request_id" not in headers:
            # The worker logs under the id of the request that queued the task.
            options["headers"] = {**headers, "request_id": current_request_id()}
        return super().apply_async(args, kwargs, **options)

    def __call__(self, *args, **kwargs):
        # The schema was switched from the message before this runs (task_prerun).
        self._require_tenant()
        # Custom headers arrive in request.headers or merged into the request (Redis broker).
        queued_by = (self.request.headers or {}).get("request_id") or \
            self.request.get("request_id")
        token = request_id_var.set(queued_by or current_request_id())
        try:
            # Times a task writes for people (reminders, e-mails) read in the tenant's zone.
            with tenant_zone_active():
                return super().__call__(*args, **kwargs)
        finally:
            request_id_var.reset(token)


def tenant_url(path: str = "/") -> str:
    """An absolute link on the current tenant's own host, for e-mails and notifications."""
    if path.startswith(("http://", "https://")):
        return path
    schema = connection.schema_name
    if schema == get_public_schema_name():
        raise NoTenantError("links to tenant pages need a tenant")
    tenant = getattr(connection, "tenant", None)
    if not hasattr(tenant, "base_url"):  # schema_context() sets a stand-in without fields
        from django_tenants.utils import get_tenant_model

        tenant = get_tenant_model().objects.get(schema_name=schema)
    return f"{tenant.base_url}/{path.lstrip('/')}"


# The RFC 3834 header of mail no person wrote (surveys, notifications, invitations): auto-
# responders and our own e-mail-to-ticket leave such mail unanswered, so nothing loops.
AUTO_GENERATED = {"Auto-Submitted": "auto-generated"}


def deliver_email(*, to: list[str], subject: str, body: str, html: str = "",
                  reply_to: list[str] | None = None, headers: dict | None = None,
                  connection=None) -> int:
    """Send one message now through Django's e-mail backend (console by default, SMTP from
    the environment). Raises on failure, e.g. ``SMTPRecipientsRefused``. A bulk sender passes
    one open ``connection`` for all its messages."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, reply_to=reply_to,
                                     from_email=settings.DEFAULT_FROM_EMAIL,
                                     headers=headers, connection=connection)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


# Only transient failures are retried; a refused address stays refused.
TRANSIENT_MAIL_ERRORS = (ConnectionError, TimeoutError, smtplib.SMTPServerDisconnected,
                         smtplib.SMTPConnectError)


@shared_task(name="core.send_email", autoretry_for=TRANSIENT_MAIL_ERRORS, retry_backoff=30,
             max_retries=5)
def send_email(**message) -> int:
    """:func:`deliver_email` as a task, retried with back-off while the mail server is away."""
    return deliver_email(**message)
