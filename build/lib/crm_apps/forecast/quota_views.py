"""The quota pages (/app/sales/quotas/): the list with attainment, and create, edit, delete for
tenant admins and managers (everyone else reads their own quotas and their teams')."""

import django_filters
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, ListView, UpdateView

from core.permissions import RoleRequiredMixin, StaffRequiredMixin, roles_of
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customers.models import Team
from crm_apps.customers.visibility import team_ids
from crm_apps.forecast import forecasting, periods
from crm_apps.forecast.models import PeriodKind, Quota
from crm_apps.forecast.quota_forms import QuotaForm
from crm_apps.forecast.serializers import staff_users

WRITERS = (TENANT_ADMIN, MANAGER)


def quotas_for(user):
    """The quotas ``user`` may read: all for admins and managers, else their own and their
    teams' (the rule of the quotas API)."""
    queryset = Quota.objects.select_related("user", "team")
    if roles_of(user) & set(WRITERS):
        return queryset
    return queryset.filter(Q(user=user) | Q(team__in=team_ids(user)))


def quota_row(quota, viewer) -> dict:
    """A row of the list: the quota, its period, and the forecast of its owner for that
    period as ``viewer`` may see it (closed won, attainment)."""
    scope = (forecasting.Scope("rep", user=quota.user) if quota.user_id
             else forecasting.Scope("team", team=quota.team))
    period = periods.Period(quota.period_kind, quota.period_start)
    numbers = forecasting.forecast(scope, period, viewer)
    percent = (None if numbers.attainment is None
               else int((numbers.attainment * 100).to_integral_value()))
    return {"quota": quota, "period": period, "numbers": numbers, "percent": percent}


class QuotaFilter(django_filters.FilterSet):
    """Filters of the list besides the period ("2026-11", "2026-Q4"), read by the view."""

    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices,
                                              label=gettext_lazy("Period kind"))

    class Meta:
        model = Quota
        fields = ["period_kind", "user", "team"]


class QuotaListView(StaffRequiredMixin, ListView):
    template_name = "forecast/quota_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.errors = []
        query = self.request.GET
        self.filterset = QuotaFilter(query or None, quotas_for(self.request.user))
        queryset = self.filterset.queryset
        if self.filterset.is_bound and not self.filterset.is_valid():
            self.errors += [str(problem) for problems in self.filterset.errors.values()
                            for problem in problems]
            return queryset.none()
        queryset = self.filterset.qs if self.filterset.is_bound else queryset
        if query.get("period"):
            try:
                period = periods.parse(query["period"])
            except ValueError:
                self.errors.append(_('Give a month such as "2026-11" or a quarter such as '
                                     '"2026-Q4".'))
                return queryset.none()
            queryset = queryset.filter(period_kind=period.kind, period_start=period.start)
        return queryset.order_by("-period_start", "period_kind", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            rows=[quota_row(quota, user) for quota in context["object_list"]],
            can_write=bool(roles_of(user) & set(WRITERS)), errors=self.errors,
            values=self.request.GET, kinds=PeriodKind.choices,
            people=staff_users().order_by("first_name", "last_name", "email")
            if roles_of(user) & set(WRITERS) else [],
            teams=Team.objects.order_by("name") if roles_of(user) & set(WRITERS)
            else Team.objects.filter(pk__in=team_ids(user)).order_by("name"),
            page_query=self._page_query(), active="quotas")
        return context

    def _page_query(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()

    def render_to_response(self, context, **kwargs):
        if self.errors:
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)


class QuotaWriterMixin(RoleRequiredMixin):
    required_roles = WRITERS


class QuotaFormMixin(QuotaWriterMixin):
    model = Quota
    form_class = QuotaForm
    template_name = "forecast/quota_form.html"

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_success_url(self):
        period = periods.Period(self.object.period_kind, self.object.period_start)
        return f"{reverse('quotas:list')}?period={period.code}"


class QuotaCreateView(QuotaFormMixin, CreateView):
    def get_initial(self):
        return {"period_start": periods.containing(timezone.localdate()).start,
                "period_kind": PeriodKind.MONTH}

    def form_valid(self, form):
        messages.success(self.request, _("Quota added."))
        return super().form_valid(form)


class QuotaUpdateView(QuotaFormMixin, UpdateView):
    def form_valid(self, form):
        messages.success(self.request, _("Quota saved."))
        return super().form_valid(form)


class QuotaDeleteView(QuotaWriterMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        quota = get_object_or_404(Quota, pk=pk)
        quota.delete()
        messages.success(request, _("Quota deleted."))
        return redirect("quotas:list")
