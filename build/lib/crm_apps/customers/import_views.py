"""The import pages of the back office: upload a file, map its columns, start the job."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import StaffRequiredMixin
from crm_apps.customers import import_base, import_files, imports
from crm_apps.customers.import_report import report_job, report_response
from realtime.jobs import job_url

SESSION_PREFIX = "customer-import:"


def _kind_choices():
    return [(kind.code, kind.label) for kind in imports.KINDS.values()]


def _upload_problem(request, kind: str, message, code: int = 400):
    return render(request, "customers/import_start.html",
                  {"kinds": _kind_choices(), "kind": kind, "error": message,
                   "max_mb": imports.MAX_UPLOAD_BYTES // (1024 * 1024)}, status=code)


class ImportStartView(StaffRequiredMixin, View):
    """Step 1: what to import, and the file."""

    def get(self, request):
        kind = request.GET.get("kind", "contacts")
        return render(request, "customers/import_start.html", {
            "kinds": _kind_choices(), "kind": kind if kind in imports.KINDS else "contacts",
            "max_mb": imports.MAX_UPLOAD_BYTES // (1024 * 1024)})

    def post(self, request):
        kind = request.POST.get("kind", "")
        if kind not in imports.KINDS:
            return _upload_problem(request, "contacts", _("Choose what to import."))
        upload = request.FILES.get("file")
        if upload is None:
            return _upload_problem(request, kind, _("Choose the file to import."))
        if upload.size > imports.MAX_UPLOAD_BYTES:
            return _upload_problem(request, kind, _("The file is larger than 50 MB: split it "
                                                    "and import the parts."), code=413)
        if not upload.size:
            return _upload_problem(request, kind, _("The file is empty."))
        try:
            fmt, encoding, headers = import_files.read_upload(upload, scan=True)
        except import_files.UploadError as exc:
            return _upload_problem(request, kind, str(exc))
        token = import_files.stage_upload(request.user, upload, fmt)
        request.session[SESSION_PREFIX + token] = {
            "kind": kind, "name": upload.name[:200], "fmt": fmt, "encoding": encoding,
            "headers": headers}
        return redirect("customer-imports:mapping", token=token)


class ImportMappingView(StaffRequiredMixin, View):
    """Step 2: the first rows, a field for each column, duplicates and dry run; then the job."""

    def _staged(self, request, token):
        meta = request.session.get(SESSION_PREFIX + token)
        name = meta and import_files.staged_name(request.user, token, meta.get("fmt", ""))
        return meta, name

    def _gone(self, request, token):
        request.session.pop(SESSION_PREFIX + token, None)
        messages.warning(request, _("That upload is no longer available: upload the file "
                                    "again."))
        return redirect("customer-imports:start")

    def _page(self, request, meta, name, *, mapping, duplicates="skip", dry_run=False,
              error="", status=200):
        kind = imports.KINDS[meta["kind"]]
        try:
            with default_storage.open(name, "rb") as binary:
                table = import_files.Table(binary, meta["fmt"], meta["encoding"])
                try:
                    rows = table.head(import_base.PREVIEW_ROWS)
                finally:
                    table.close()
        except (import_files.UploadError, OSError):  # read once already; a preview is no must
            rows = []
        targets = import_base.targets(kind, request.user)
        standard = [(field, label) for field, label in targets.items()
                    if not field.startswith("custom.")]
        custom = [(field, label) for field, label in targets.items()
                  if field.startswith("custom.")]
        columns = [{"index": index, "header": header, "chosen": mapping.get(header, ""),
                    "samples": [row[index] for row in rows[:3] if row[index]]}
                   for index, header in enumerate(meta["headers"])]
        return render(request, "customers/import_mapping.html", {
            "kind": kind, "meta": meta, "columns": columns, "rows": rows,
            "standard_fields": standard, "custom_fields": custom,
            "duplicates": duplicates, "dry_run": dry_run, "error": error,
            "modes": imports.DUPLICATE_MODES}, status=status)

    def get(self, request, token):
        meta, name = self._staged(request, token)
        if not name:
            return self._gone(request, token)
        kind = imports.KINDS[meta["kind"]]
        mapping, source = import_base.proposed_mapping(kind, meta["headers"], request.user)
        if source == "remembered":
            messages.info(request, _("The columns are matched as the last time a file with "
                                     "these headers was imported."))
        return self._page(request, meta, name, mapping=mapping)

    def post(self, request, token):
        meta, name = self._staged(request, token)
        if not name:
            return self._gone(request, token)
        if "cancel" in request.POST:
            import_files.discard_staged(name)
            request.session.pop(SESSION_PREFIX + token, None)
            messages.info(request, _("The upload was discarded; nothing was imported."))
            return redirect("customer-imports:start")
        mapping = {header: request.POST.get(f"column-{index}", "")
                   for index, header in enumerate(meta["headers"])}
        duplicates = request.POST.get("duplicates", "skip")
        dry_run = request.POST.get("dry_run") == "on"
        try:
            job = imports.queue_staged_import(
                request.user, name, kind=meta["kind"], filename=meta["name"], fmt=meta["fmt"],
                encoding=meta["encoding"], headers=meta["headers"], mapping=mapping,
                duplicates=duplicates, dry_run=dry_run,
                language=getattr(request, "LANGUAGE_CODE", ""))
        except import_files.UploadError as exc:
            return self._page(request, meta, name, mapping=mapping, duplicates=duplicates,
                              dry_run=dry_run, error=str(exc), status=400)
        request.session.pop(SESSION_PREFIX + token, None)
        return redirect(job_url(job))


class ImportReportView(StaffRequiredMixin, View):
    """The error report of an import job (CSV): its starter and the tenant admins only."""

    def get(self, request, pk):
        return report_response(report_job(request.user, pk))
