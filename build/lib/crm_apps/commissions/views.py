"""Commission pages of the back office: statements (list, detail with its lines and the
approval buttons) and, for tenant admins, plans with their tiers, category rates and members."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from core.audit import acting_as
from core.permissions import RoleRequiredMixin, StaffRequiredMixin
from core.roles import TENANT_ADMIN
from crm_apps.commissions import access, services, statements
from crm_apps.commissions.filters import StatementFilter
from crm_apps.commissions.forms import (
    CategoryRateFormSet,
    DecisionForm,
    MembershipFormSetFactory,
    PlanForm,
    TierFormSet,
)
from crm_apps.commissions.models import CommissionPlan, CommissionStatement
from crm_apps.forecast.forecasting import selling_users

FILTER_NAMES = ("period", "status", "rep")


class StatementListView(StaffRequiredMixin, ListView):
    """The statements the user may see, newest period first, with filters."""

    template_name = "commissions/statement_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = access.visible_statements(
            CommissionStatement.objects.select_related("rep", "plan"), self.request.user)
        self.filterset = StatementFilter(self.request.GET or None, queryset=queryset,
                                         request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs.order_by("-period_start", "rep__email", "id")

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.filterset.is_bound and not self.filterset.is_valid():
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        user = self.request.user
        sees_others = access.sees_every_statement(user) or bool(access.led_member_ids(user))
        context.update(
            filterset=self.filterset, values=data, page_query=query.urlencode(),
            filtered=any(data.get(name) for name in FILTER_NAMES),
            statuses=CommissionStatement.Status.choices,
            reps=selling_users(None if access.sees_every_statement(user) else user)
            if sees_others else [],
            may_generate=access.may_generate(user), may_manage_plans=access.may_manage_plans(user))
        return context


class StatementDetailView(StaffRequiredMixin, DetailView):
    template_name = "commissions/statement_detail.html"
    context_object_name = "statement"

    def get_object(self, queryset=None):
        return access.access_statement(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement, user = self.object, self.request.user
        Status = CommissionStatement.Status
        context.update(
            lines=statement.lines.all(),
            can_recompute=statement.status in statements.RECOMPUTABLE,
            can_submit=(statement.status == Status.DRAFT
                        and access.may_submit(user, statement)),
            can_decide=(statement.status == Status.SUBMITTED
                        and access.may_decide(user, statement)),
            decision_form=DecisionForm())
        return context


class StatementStepView(StaffRequiredMixin, View):
    """The buttons of a statement: recompute, submit, approve, reject."""

    step = ""

    def post(self, request, pk):
        statement = access.access_statement(request.user, pk)
        back = HttpResponseRedirect(reverse("commissions:detail", args=[pk]), status=303)
        form = DecisionForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        try:
            if self.step == "recompute":
                statements.recompute(statement, acting_user=request.user)
            elif self.step == "submit":
                services.submit(statement, acting_user=request.user)
            elif self.step == "approve":
                services.approve(statement, acting_user=request.user, comment=comment)
            else:
                services.reject(statement, acting_user=request.user, comment=comment)
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from None
        except (statements.StatementError, services.DecisionError,
                services.CommentRequired) as error:
            messages.error(request, str(error))
            return back
        messages.success(request, {
            "recompute": _("The statement was recomputed."),
            "submit": _("The statement was submitted for approval."),
            "approve": _("The statement was approved."),
            "reject": _("The statement was rejected."),
        }[self.step])
        return back


class GenerateView(RoleRequiredMixin, View):
    """Compute this period's statements of every rep on a plan (managers and admins)."""

    required_roles = tuple(access.DECIDERS)

    def post(self, request):
        done = statements.refresh(include_previous=False, acting_user=request.user)
        messages.success(request, _("%(computed)d statements computed, %(skipped)d already "
                                    "submitted or approved.") % done)
        return HttpResponseRedirect(reverse("commissions:list"), status=303)


class PlanAdminMixin(RoleRequiredMixin):
    required_roles = (TENANT_ADMIN,)


class PlanListView(PlanAdminMixin, ListView):
    template_name = "commissions/plan_list.html"
    context_object_name = "plans"

    def get_queryset(self):
        return CommissionPlan.objects.prefetch_related("tiers", "category_rates",
                                                       "memberships__rep")


class PlanEditView(PlanAdminMixin, TemplateView):
    """A plan's fields with its tiers, category rates and members, saved together."""

    template_name = "commissions/plan_form.html"

    def get_plan(self):
        if "pk" not in self.kwargs:
            return CommissionPlan()
        return get_object_or_404(CommissionPlan, pk=self.kwargs["pk"])

    def forms(self, plan, data=None):
        return {"form": PlanForm(data, instance=plan),
                "tiers": TierFormSet(data, instance=plan, prefix="tiers"),
                "category_rates": CategoryRateFormSet(data, instance=plan, prefix="rates"),
                "members": MembershipFormSetFactory(data, instance=plan, prefix="members")}

    def get(self, request, *args, **kwargs):
        plan = self.get_plan()
        return self.render_to_response(self.get_context_data(plan=plan, **self.forms(plan)))

    def post(self, request, *args, **kwargs):
        plan = self.get_plan()
        forms = self.forms(plan, request.POST)
        if not all(form.is_valid() for form in forms.values()):
            return self.render_to_response(self.get_context_data(plan=plan, **forms),
                                           status=400)
        with acting_as(request.user), transaction.atomic():
            plan = forms["form"].save()
            for name in ("tiers", "category_rates", "members"):
                forms[name].instance = plan
                forms[name].save()
        messages.success(request, _("The plan “%(name)s” was saved.") % {"name": plan.name})
        return HttpResponseRedirect(reverse("commissions:plan-list"), status=303)


class PlanDeleteView(PlanAdminMixin, View):
    def post(self, request, pk):
        plan = get_object_or_404(CommissionPlan, pk=pk)
        with acting_as(request.user):
            plan.delete()
        messages.success(request, _("The plan “%(name)s” was deleted.") % {"name": plan.name})
        return HttpResponseRedirect(reverse("commissions:plan-list"), status=303)
