"""The sales pages: the pipeline board, the opportunity list, detail and forms."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, DetailView, ListView, TemplateView, UpdateView

from core import audit
from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.customers.paging import IdsFirstPaginator
from crm_apps.sales.models import Opportunity, Pipeline
from crm_apps.sales.opportunity_filters import OpportunityFilter
from crm_apps.sales.opportunity_forms import OpportunityForm
from crm_apps.sales.pipeline_services import (
    BOARD_ORDER,
    amount_hidden,
    column_totals,
    default_pipeline,
    push_if_moved,
    visible_opportunities,
)

SORTS = {"name": "name", "amount": "amount", "expected_close": "expected_close",
         "stage": "stage__position", "created": "created"}


class BoardView(StaffRequiredMixin, TemplateView):
    """A column per stage with the cards, count and total the user may see."""

    template_name = "sales/board.html"

    def get_context_data(self, **kwargs):
        pipelines = list(Pipeline.objects.all())
        chosen = self.request.GET.get("pipeline", "")
        pipeline = next((p for p in pipelines if str(p.pk) == chosen), None) \
            if chosen else default_pipeline()
        if pipeline is None and (chosen or pipelines):
            raise Http404(_("No such pipeline."))
        columns = []
        if pipeline is not None:
            cards = (visible_opportunities(self.request.user).filter(pipeline=pipeline)
                     .select_related("account", "owner").order_by(*BOARD_ORDER))
            by_stage = {}
            for card in cards:
                by_stage.setdefault(card.stage_id, []).append(card)
            totals = column_totals(pipeline, self.request.user)
            stages = list(pipeline.stages.all())
            columns = [{"stage": stage, "cards": by_stage.get(stage.pk, []),
                        **totals[stage.pk]} for stage in stages]
        return super().get_context_data(pipelines=pipelines, pipeline=pipeline,
                                        columns=columns, active="pipeline",
                                        hide_amount=amount_hidden(self.request.user), **kwargs)


class OpportunityListView(StaffRequiredMixin, ListView):
    template_name = "sales/opportunity_list.html"
    paginate_by = 25
    paginator_class = IdsFirstPaginator

    def get_queryset(self):
        queryset = visible_opportunities(self.request.user).select_related(
            "account", "owner", "stage", "pipeline")
        self.filterset = OpportunityFilter(self.request.GET or None, queryset=queryset,
                                           request=self.request)
        # A page shows what it can: invalid filter values are reported and left out.
        queryset = self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() \
            else queryset
        sort = self.request.GET.get("sort", "-id")
        field = SORTS.get(sort.lstrip("-"))
        if field == "amount" and amount_hidden(self.request.user):
            field = None  # sorting by a hidden field would reveal it
        order = [("-" if sort.startswith("-") else "") + field, "-id"] if field else ["-id"]
        self.sort = sort if field else ""
        return queryset.order_by(*order)

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        sortless = query.copy()
        sortless.pop("sort", None)
        return super().get_context_data(hide_amount=amount_hidden(self.request.user),
                                         filter=self.filterset, sort=self.sort,
                                         page_query=query.urlencode(),
                                         sortless_query=sortless.urlencode(),
                                         active="opportunities", **kwargs)


class VisibleOpportunityMixin(StaffRequiredMixin):
    def get_queryset(self):
        return visible_opportunities(self.request.user).select_related(
            "account", "contact", "owner", "team", "stage", "pipeline")


class OpportunityDetailView(VisibleOpportunityMixin, DetailView):
    template_name = "sales/opportunity_detail.html"
    context_object_name = "opportunity"

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=audit.history(self.object)[:20],
                                         hide_amount=amount_hidden(self.request.user),
                                         active="opportunities", **kwargs)


class OpportunityFormMixin(VisibleOpportunityMixin):
    model = Opportunity
    form_class = OpportunityForm
    template_name = "sales/opportunity_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        initial = super().get_initial()
        for name in ("pipeline", "stage", "account"):
            if self.request.GET.get(name, "").isdigit():
                initial[name] = int(self.request.GET[name])
        if getattr(self, "object", None) is None:  # a new opportunity is the creator's
            initial.setdefault("owner", self.request.user.pk)
        return initial

    def form_valid(self, form):
        old_stage = Opportunity.objects.get(pk=form.instance.pk).stage \
            if form.instance.pk else None
        with acting_as(self.request.user):
            self.object = form.save()
        if old_stage is not None:
            push_if_moved(self.object, old_stage, self.request.user)
        messages.success(self.request, self.success_message % {"name": self.object.name})
        return redirect(reverse("sales:opportunity-detail", args=[self.object.pk]))

    def get_context_data(self, **kwargs):
        return super().get_context_data(active="opportunities", **kwargs)


class OpportunityCreateView(OpportunityFormMixin, CreateView):
    success_message = gettext_lazy("Opportunity “%(name)s” created.")


class OpportunityUpdateView(OpportunityFormMixin, UpdateView):
    success_message = gettext_lazy("Opportunity “%(name)s” saved.")

