"""The sales pages: the pipeline board, the opportunity list, detail and forms."""

import math

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, TemplateView, UpdateView

from core import audit
from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.customers.paging import IdsFirstPaginator
from crm_apps.sales.models import Opportunity, Pipeline, Stage
from crm_apps.sales.opportunity_filters import OpportunityFilter
from crm_apps.sales.opportunity_forms import OpportunityForm
from crm_apps.sales.pipeline_services import (
    amount_hidden,
    board_snapshot,
    column_cards,
    column_totals,
    default_pipeline,
    push_if_moved,
    visible_opportunities,
)

SORTS = {"name": "name", "amount": "amount", "expected_close": "expected_close",
         "stage": "stage__position", "created": "created"}


def move_options(stage: Stage, stages) -> str:
    """The options of a card's "Move to…" select in ``stage``'s column: every other stage."""
    return format_html_join("", '<option value="{}">{}</option>',
                            [(other.pk, other.display_name) for other in stages
                             if other.pk != stage.pk])


class BoardView(StaffRequiredMixin, TemplateView):
    """A column per stage with the count and total of every card the user may see, and the
    first cards of each (the rest load on demand: a column may hold thousands)."""

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
            user = self.request.user
            totals = column_totals(pipeline, user)
            stages = list(pipeline.stages.all())
            for stage in stages:
                cards, more = column_cards(stage, user)
                columns.append({"stage": stage, "cards": cards, "more": more,
                                "move_options": move_options(stage, stages),
                                **totals[stage.pk]})
        return super().get_context_data(pipelines=pipelines, pipeline=pipeline,
                                        columns=columns, active="pipeline",
                                        hide_amount=amount_hidden(self.request.user), **kwargs)


class BoardCardsView(StaffRequiredMixin, View):
    """The next cards of one board column (``stage``), after the card at ``position``/``after``
    (the last one the board holds): list items for board.js to append, with the next
    "Load more" when cards remain."""

    def get(self, request):
        stage_id, after_id = request.GET.get("stage", ""), request.GET.get("after", "")
        try:
            position = float(request.GET.get("position", ""))
        except ValueError:
            position = math.nan
        if not (stage_id.isdigit() and after_id.isdigit() and math.isfinite(position)):
            return HttpResponseBadRequest(_("Give the column (stage) and the last card shown "
                                            "(position and after)."))
        stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
        cards, more = column_cards(stage, request.user, after=(position, int(after_id)))
        options = move_options(stage, stage.pipeline.stages.all())
        return render(request, "sales/_board_cards.html", {
            "column": {"stage": stage, "cards": cards, "more": more, "move_options": options},
            "hide_amount": amount_hidden(request.user)})


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
        before = board_snapshot(form.instance.pk) if form.instance.pk else None
        with acting_as(self.request.user):
            self.object = form.save()
        if before is not None:
            push_if_moved(self.object, before, self.request.user)
        messages.success(self.request, self.success_message % {"name": self.object.name})
        return redirect(reverse("sales:opportunity-detail", args=[self.object.pk]))

    def get_context_data(self, **kwargs):
        return super().get_context_data(active="opportunities", **kwargs)


class OpportunityCreateView(OpportunityFormMixin, CreateView):
    success_message = gettext_lazy("Opportunity “%(name)s” created.")


class OpportunityUpdateView(OpportunityFormMixin, UpdateView):
    success_message = gettext_lazy("Opportunity “%(name)s” saved.")

