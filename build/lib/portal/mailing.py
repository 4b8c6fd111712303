"""The portal's automatic e-mails (invitation, verification), queued once the rows they
link to are committed: a rolled-back request sends nothing."""

from django.db import connection, transaction
from django_tenants.utils import schema_context

from core.tasks import AUTO_GENERATED, send_email


def send_on_commit(*, to: str, subject: str, body: str) -> None:
    """Queue the message when the current transaction commits (at once outside one).
    Subject and body are rendered by the caller, in the reader's language."""
    message = {"to": [to], "subject": str(subject), "body": body, "headers": AUTO_GENERATED}
    schema = connection.schema_name

    def queue():
        with schema_context(schema):
            send_email.delay(**message)

    transaction.on_commit(queue)
