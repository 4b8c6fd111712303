"""A tenant admin's announcement to all staff or all portal customers, sent as a job."""

from django.db import transaction

from realtime.jobs import start_job
from realtime.models import Job


def queue_announcement(user, data: dict) -> Job:
    """Start the announcement job; its task is queued once the job row is committed.
    ``data``: audience, title, body, link (validated by the form or the API serializer)."""
    from realtime.tasks import announce  # tasks import the services this module sits beside

    job = start_job(owner=user, kind="announcement", title=data["title"])
    fields = {key: data.get(key, "") for key in ("audience", "title", "body", "link")}
    # robust: when tasks run in place (no broker), a failure shows on the job page, not as an
    # error of the request that queued it.
    transaction.on_commit(lambda: announce.delay(str(job.pk), **fields), robust=True)
    return job
