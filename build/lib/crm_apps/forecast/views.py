"""The forecast page (per rep and team, with history) and the territory pages."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView, UpdateView

from core.permissions import RoleRequiredMixin, StaffRequiredMixin
from core.roles import TENANT_ADMIN
from crm_apps.forecast import forecasting, periods, territories
from crm_apps.forecast.forms import TerritoryForm
from crm_apps.forecast.models import PeriodKind, Territory


class ForecastPageView(StaffRequiredMixin, TemplateView):
    """Numbers per rep and team for a month or quarter, totals, attainment, and history."""

    template_name = "forecast/board.html"

    def get(self, request, *args, **kwargs):
        errors = []
        kind = request.GET.get("kind") or PeriodKind.MONTH
        if kind not in PeriodKind.values:
            errors.append(_('Choose "month" or "quarter".'))
            kind = PeriodKind.MONTH
        period = periods.containing(timezone.localdate(), kind)
        if request.GET.get("period"):
            try:
                period = periods.parse(request.GET["period"])
            except ValueError:
                errors.append(_('Give a month such as "2026-11" or a quarter such as '
                                '"2026-Q4".'))
        history_scope = (forecasting.TENANT if forecasting.sees_everything(request.user)
                         else forecasting.Scope("rep", user=request.user))
        context = self.get_context_data(
            errors=errors, period=period, previous=period.shifted(-1), next=period.shifted(1),
            other_kind=(periods.containing(period.start, PeriodKind.QUARTER)
                        if period.kind == PeriodKind.MONTH
                        else periods.Period(PeriodKind.MONTH, period.start)),
            board=forecasting.board(period, request.user),
            history_scope=history_scope,
            history=forecasting.history(history_scope, request.user, limit=24))
        return self.render_to_response(context, status=400 if errors else 200)


class TerritoryAdminMixin(RoleRequiredMixin):
    required_roles = (TENANT_ADMIN,)


class TerritoryListView(TerritoryAdminMixin, TemplateView):
    """Every territory in matching order, and a form to add one."""

    template_name = "forecast/territory_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            territories=Territory.objects.prefetch_related("reps").select_related("manager"),
            form=kwargs.pop("form", None) or TerritoryForm(), **kwargs)

    def post(self, request):
        form = TerritoryForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        territory = form.save()
        messages.success(request, _("Territory “%(name)s” added.") % {"name": territory.name})
        return redirect("territories:list")


class TerritoryUpdateView(TerritoryAdminMixin, UpdateView):
    model = Territory
    form_class = TerritoryForm
    template_name = "forecast/territory_form.html"
    success_url = reverse_lazy("territories:list")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        messages.success(self.request, _("Territory “%(name)s” saved.") % {
            "name": form.instance.name})
        return super().form_valid(form)


class TerritoryDeleteView(TerritoryAdminMixin, View):
    def post(self, request, pk):
        territory = get_object_or_404(Territory, pk=pk)
        territory.delete()
        messages.success(request, _("Territory “%(name)s” deleted.") % {"name": territory.name})
        return redirect("territories:list")


class ReassignView(TerritoryAdminMixin, View):
    """Put every account into its territory now (the nightly task does it too)."""

    def post(self, request):
        changed = territories.reassign()
        messages.success(request, _("%(count)d accounts moved to another territory.") % {
            "count": changed})
        return redirect(reverse("territories:list"))
