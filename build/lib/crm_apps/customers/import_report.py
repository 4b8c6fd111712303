"""The per-row error report of an import job, as CSV: for its starter and the tenant admins."""

import csv

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from core.permissions import has_role, is_staff_member
from core.roles import TENANT_ADMIN
from core.spreadsheets import safe_cell
from realtime.jobs import MAX_ERRORS
from realtime.models import Job

# Other kinds join through imports.register().
IMPORT_JOB_KINDS = {"contact-import", "account-import"}


def report_job(user, pk) -> Job:
    """The import job ``pk`` if ``user`` may read its report: who started it, or a tenant
    admin. Anyone else (and any other tenant: jobs live in the tenant's schema) gets a 404,
    which does not tell whether the job exists."""
    if not is_staff_member(user):
        raise Http404
    job = Job.objects.filter(pk=pk, kind__in=IMPORT_JOB_KINDS).first()
    if job is None or (job.owner_id != user.pk and not has_role(user, TENANT_ADMIN)):
        raise Http404
    return job


def headers_of(job: Job) -> list[str]:
    for error in job.errors:
        if error.get("cells"):
            return [header for header, _cell in error["cells"]]
    return []


def report_response(job: Job) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
    writer = csv.writer(response)
    headers = headers_of(job)
    writer.writerow([_("Row"), _("Column"), _("Field"), _("Value"), _("Problem"),
                     *headers])
    for error in job.errors:
        cells = dict(error.get("cells") or ())
        writer.writerow([safe_cell(cell) for cell in (
            error.get("row", error.get("item", "")), error.get("column", ""),
            error.get("field", ""), error.get("value", ""), error.get("message", ""),
            *(cells.get(header, "") for header in headers))])
    if job.failed > len(job.errors):
        writer.writerow(["", "", "", "", _("%(count)d more rows had problems; the report lists "
                                           "the first %(limit)d.")
                         % {"count": job.failed - len(job.errors), "limit": MAX_ERRORS}])
    return response
