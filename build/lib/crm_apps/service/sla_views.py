"""Tenant admin pages of the desk's SLA settings: policies, working hours and holidays."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, UpdateView

from core.permissions import RoleRequiredMixin
from core.roles import TENANT_ADMIN
from crm_apps.service import sla_notifications  # noqa: F401 - registers the kinds
from crm_apps.service.models import BusinessHours, Holiday, SlaPolicy
from crm_apps.service.sla import DEFAULT_PERIOD
from crm_apps.service.sla_forms import BusinessHoursForm, HolidayForm, SlaPolicyForm


class TenantAdminMixin(RoleRequiredMixin):
    """Tenant admins only: other staff get a 403."""

    required_roles = (TENANT_ADMIN,)


class SectionMixin:
    """The settings tab and the SLA section's own navigation."""

    section = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class PolicyListView(TenantAdminMixin, SectionMixin, CreateView):
    """The policies; the page's form adds one."""

    template_name = "service/sla_policies.html"
    form_class = SlaPolicyForm
    section = "policies"
    success_url = reverse_lazy("sla:policies")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            policies=SlaPolicy.objects.select_related("escalate_to"), **kwargs)

    def form_valid(self, form):
        policy = form.save()
        messages.success(self.request, _("Policy “%(name)s” added.") % {"name": policy.name})
        return super().form_valid(form)


class EditMixin(TenantAdminMixin, SectionMixin):
    template_name = "service/sla_edit.html"

    def form_valid(self, form):
        messages.success(self.request, _("Saved."))
        return super().form_valid(form)


class PolicyEditView(EditMixin, UpdateView):
    model = SlaPolicy
    form_class = SlaPolicyForm
    section = "policies"
    success_url = reverse_lazy("sla:policies")


class HoursListView(TenantAdminMixin, SectionMixin, CreateView):
    """Working periods per weekday; the page's form adds one."""

    template_name = "service/sla_hours.html"
    form_class = BusinessHoursForm
    section = "hours"
    success_url = reverse_lazy("sla:hours")

    def get_context_data(self, **kwargs):
        periods = list(BusinessHours.objects.all())
        return super().get_context_data(periods=periods, default_period=DEFAULT_PERIOD,
                                        **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("Working period added."))
        return super().form_valid(form)


class HoursEditView(EditMixin, UpdateView):
    model = BusinessHours
    form_class = BusinessHoursForm
    section = "hours"
    success_url = reverse_lazy("sla:hours")


class HolidayListView(TenantAdminMixin, SectionMixin, CreateView):
    """Closed dates, newest years first; the page's form adds one."""

    template_name = "service/sla_holidays.html"
    form_class = HolidayForm
    section = "holidays"
    success_url = reverse_lazy("sla:holidays")

    def get_context_data(self, **kwargs):
        return super().get_context_data(holidays=Holiday.objects.order_by("-date"), **kwargs)

    def form_valid(self, form):
        messages.success(self.request, _("Holiday added."))
        return super().form_valid(form)


class DeleteView(TenantAdminMixin, View):
    """POST removes one row and goes back to its list."""

    model = None
    list_url = ""
    http_method_names = ["post"]

    def post(self, request, pk):
        get_object_or_404(self.model, pk=pk).delete()
        messages.success(request, _("Deleted."))
        return HttpResponseRedirect(reverse(self.list_url))
