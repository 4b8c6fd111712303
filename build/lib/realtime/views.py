"""Pages of the live layer: the inbox, preferences, and a job's live progress."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from core.permissions import MemberRequiredMixin, StaffRequiredMixin, is_staff_member
from core.spreadsheets import safe_cell
from realtime import services
from realtime.api import audience_of
from realtime.jobs import RESULT_LABELS, result_rows
from realtime.jobs import serialize as serialize_job
from realtime.models import Job, Notification


class InboxView(MemberRequiredMixin, ListView):
    template_name = "realtime/inbox.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user).order_by("is_read", "-id")

    def post(self, request, *args, **kwargs):
        if "all" in request.POST:
            services.mark_all_read(request.user)
        elif request.POST.get("id", "").isdigit():
            services.mark_read(request.user, int(request.POST["id"]))
        return redirect(request.path)


class PreferencesView(MemberRequiredMixin, TemplateView):
    template_name = "realtime/preferences.html"

    def get_context_data(self, **kwargs):
        audience = audience_of(self.request.user)
        return super().get_context_data(
            rows=services.preferences_of(self.request.user, audience), **kwargs)

    def post(self, request, *args, **kwargs):
        audience = audience_of(request.user)
        choices = {
            kind.code: (f"in_app:{kind.code}" in request.POST, f"email:{kind.code}" in request.POST)
            for kind, _in_app, _email in services.preferences_of(request.user, audience)
        }
        services.set_preferences(request.user, audience, choices)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect(request.path)


class JobDetailView(StaffRequiredMixin, DetailView):
    template_name = "realtime/job.html"
    context_object_name = "job"

    def get_queryset(self):
        return Job.objects.filter(owner=self.request.user)

    def get_context_data(self, **kwargs):
        job_data = serialize_job(self.object)
        return super().get_context_data(job_data=job_data, result_terms=RESULT_LABELS,
                                        result_rows=result_rows(job_data["result"]), **kwargs)


class JobListView(StaffRequiredMixin, ListView):
    template_name = "realtime/jobs.html"
    context_object_name = "jobs"
    paginate_by = 30

    def get_queryset(self):
        return Job.objects.filter(owner=self.request.user)


def job_errors_csv(request, pk):
    """The per-item error report of one of the user's jobs."""
    if not request.user.is_authenticated or not is_staff_member(request.user):
        raise PermissionDenied
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-errors.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([_("Item"), _("Problem")])
    for error in job.errors:
        writer.writerow([safe_cell(error.get("item", "")), safe_cell(error.get("message", ""))])
    return response

