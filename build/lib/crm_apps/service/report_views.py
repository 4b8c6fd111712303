"""The service report pages (/app/service/reports/): satisfaction and complaints."""

from django.views.generic import TemplateView

from core.permissions import StaffRequiredMixin
from crm_apps.service import reports
from crm_apps.service.report_filters import ComplaintFilter, CsatFilter


class ReportPage(StaffRequiredMixin, TemplateView):
    filterset_class = None

    def queryset(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def numbers(self, queryset) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET or None, queryset=self.queryset(),
                                         request=request)
        valid = filterset.is_bound is False or filterset.is_valid()
        queryset = filterset.qs if valid else self.queryset().none()
        context = self.get_context_data(filterset=filterset, numbers=self.numbers(queryset),
                                        sees_everyone=reports.sees_every_agent(request.user))
        return self.render_to_response(context, status=200 if valid else 400)


class CsatReportPage(ReportPage):
    """Scores per agent, team and month; an agent sees their own surveys only."""

    template_name = "service/reports/csat.html"
    filterset_class = CsatFilter

    def allowed(self, user):
        return super().allowed(user) and reports.may_view_csat(user)

    def queryset(self):
        return reports.answered_surveys(self.request.user)

    def numbers(self, queryset):
        return reports.csat(queryset)


class ComplaintReportPage(ReportPage):
    """Complaints by root cause and severity (managers and tenant admins)."""

    template_name = "service/reports/complaints.html"
    filterset_class = ComplaintFilter

    def allowed(self, user):
        return super().allowed(user) and reports.may_view_complaints(user)

    def queryset(self):
        return reports.complaints_of(self.request.user)

    def numbers(self, queryset):
        return reports.complaints(queryset)
