"""Job progress: a long task reports how far it is; the owner watches it live.

    job = start_job(owner=request.user, kind="import", title=_("Import contacts"))
    transaction.on_commit(lambda: import_contacts.delay(str(job.pk), ...))

    # inside the task
    with JobProgress(job_id) as progress:
        progress.set_total(len(rows))
        for row in rows:
            try: ...; progress.advance()
            except RowError as exc: progress.item_failed(row.label, str(exc))
        progress.finish(result={"created": n})
"""

import time

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from realtime import kinds
from realtime.groups import push, user_group
from realtime.models import Job

MAX_ERRORS = 10_000  # a per-item report beyond this keeps the count but not every line
PUSH_INTERVAL = 0.25  # seconds between progress pushes (and saves) of one job


# Job kinds whose features offer a richer error report of their own: kind -> URL name taking
# the job's pk. Other jobs link the generic item/problem list.
ERROR_REPORTS: dict[str, str] = {}
# Labels of the keys jobs put in their result, shown on the job page (unknown keys as they are).
RESULT_LABELS = {
    "recipients": _("Recipients"), "notified": _("Notified in the app"),
    "emailed": _("Sent by e-mail"), "rows": _("Rows read"), "created": _("Created"),
    "updated": _("Updated"), "skipped": _("Skipped"), "failed": _("Rows with errors"),
    "accounts_created": _("Accounts created"), "tags_created": _("Tags created"),
    "dry_run": _("Validation only (nothing saved)"), "duplicates": _("Duplicates"),
}


def result_rows(result: dict | None) -> list[tuple[str, object]]:
    """(label, value) of each key of a job's result, for its page."""
    rows = []
    for key, value in (result or {}).items():
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        rows.append((RESULT_LABELS.get(key, key), value))
    return rows


def start_job(*, owner, kind: str, title, total: int = 0) -> Job:
    return Job.objects.create(owner=owner, kind=kind, title=str(title), total=total)


def job_url(job: Job) -> str:
    return reverse("jobs:detail", kwargs={"pk": job.pk})


def serialize(job: Job) -> dict:
    return {
        "id": str(job.pk), "kind": job.kind, "title": job.title, "status": job.status,
        "status_label": str(job.get_status_display()), "total": job.total, "done": job.done,
        "failed": job.failed, "percent": job.percent, "message": job.message,
        "result": job.result, "finished": job.is_finished,
        "errors_url": (reverse(ERROR_REPORTS.get(job.kind, "jobs:errors"), kwargs={"pk": job.pk})
                       if job.failed else ""),
    }


class JobProgress:
    """Reports one job's progress: saves and pushes at most every PUSH_INTERVAL seconds,
    always at the start and the end. Used as a context manager, an exception marks the job
    failed (with the message) and is re-raised."""

    def __init__(self, job_id):
        self.job = Job.objects.get(pk=job_id)
        self.schema = connection.schema_name
        self._last_push = 0.0

    def __enter__(self):
        self.job.status = Job.Status.RUNNING
        self.job.started = timezone.now()
        self._save(force=True)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None:
            self.fail(str(exc) or exc_type.__name__)
        elif not self.job.is_finished:
            self.finish()
        return False

    def set_total(self, total: int) -> None:
        self.job.total = total
        self._save()

    def advance(self, count: int = 1) -> None:
        self.job.done += count
        self._save()

    def item_failed(self, item, message: str) -> None:
        self.job.failed += 1
        if len(self.job.errors) < MAX_ERRORS:
            self.job.errors.append({"item": str(item), "message": str(message)})
        self._save()

    def finish(self, *, result: dict | None = None, message: str = "") -> None:
        self.job.status = Job.Status.SUCCEEDED
        self._end(result, message)

    def fail(self, message: str, *, result: dict | None = None) -> None:
        self.job.status = Job.Status.FAILED
        self._end(result, message)

    def _end(self, result, message) -> None:
        self.job.finished = timezone.now()
        self.job.result = result or self.job.result
        self.job.message = message
        self._save(force=True)
        self._notify_owner()

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_push < PUSH_INTERVAL:
            return
        self._last_push = now
        # Keep the work of a long task outside one transaction with these saves (or report
        # from outside it): only committed progress is visible to the API.
        self.job.save()
        if self.job.owner_id:
            push([(user_group(self.schema, self.job.owner_id),
                   {"type": "job.progress", "job": serialize(self.job)})])

    def _notify_owner(self) -> None:
        if not self.job.owner_id:
            return
        from realtime.services import notify

        if self.job.status == Job.Status.SUCCEEDED and not self.job.failed:
            title = format_lazy(_("Finished: {title}"), title=self.job.title)
        elif self.job.status == Job.Status.SUCCEEDED:
            title = format_lazy(_("Finished with {count} problems: {title}"),
                                count=self.job.failed, title=self.job.title)
        else:
            title = format_lazy(_("Failed: {title}"), title=self.job.title)
        notify([self.job.owner_id], kind=kinds.JOB_FINISHED.code, title=title,
               body=self.job.message, link=job_url(self.job))
