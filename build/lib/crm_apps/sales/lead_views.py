"""The lead pages (/app/sales/leads/): list with filters, detail, create and edit, convert."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from core.permissions import StaffRequiredMixin
from crm_apps.customers.forms import active_staff
from crm_apps.customers.models import Team
from crm_apps.customers.paging import IdsFirstPaginator
from crm_apps.customers.visibility import visible
from crm_apps.sales import conversion
from crm_apps.sales.assignment import assign_by_rules
from crm_apps.sales.lead_filters import LeadFilter
from crm_apps.sales.lead_forms import ConvertForm, LeadForm
from crm_apps.sales.models import Lead

RECENT_ACTIVITIES = 20
SORTS = {"newest": "-id", "oldest": "id", "score": "-score", "score_low": "score",
         "company": "company", "name": "last_name"}


class VisibleLeadsMixin(StaffRequiredMixin):
    def get_queryset(self):
        return visible(Lead.objects.all(), self.request.user).select_related("owner", "team")


class LeadListView(VisibleLeadsMixin, ListView):
    template_name = "sales/lead_list.html"
    paginate_by = 25
    paginator_class = IdsFirstPaginator

    def get_queryset(self):
        return self.filtered(self.request.GET)

    def filtered(self, query):
        """Visible leads as ``query`` filters and sorts them (the page's own query string,
        or the one a bulk action or an export replays)."""
        # A page ignores a malformed filter value rather than failing (the API answers 400).
        self.filterset = LeadFilter(query or None, super().get_queryset(),
                                    request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset
        self.sort = query.get("sort", "newest")
        if self.sort not in SORTS:
            self.sort = "newest"
        return queryset.order_by(SORTS[self.sort], "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.request.GET.copy()
        state.pop("page", None)
        context.update(filter=self.filterset, sort=self.sort, statuses=Lead.Status.choices,
                       sources=Lead.Source.choices, teams=Team.objects.order_by("name"),
                       page_query=state.urlencode(), active="leads",
                       owners=active_staff(),
                       form_statuses=[(value, label) for value, label in Lead.Status.choices
                                      if value != Lead.Status.CONVERTED],
                       sorts=[("newest", _("Newest")), ("score", _("Highest score")),
                              ("score_low", _("Lowest score")), ("company", _("Company")),
                              ("name", _("Last name")), ("oldest", _("Oldest"))])
        return context


class LeadDetailView(VisibleLeadsMixin, DetailView):
    template_name = "sales/lead_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(active="leads",
                       activities=self.object.activities.select_related("owner")
                       .order_by("-id")[:RECENT_ACTIVITIES],
                       activity_kinds=[("call", _("Call")), ("meeting", _("Meeting")),
                                       ("note", _("Note")), ("task", _("Task")),
                                       ("email", _("E-mail"))],
                       can_convert=self.object.status == Lead.Status.QUALIFIED,
                       opportunities=visible(self.object.opportunities.all(),
                                             self.request.user))
        return context


class LeadFormMixin(StaffRequiredMixin):
    model = Lead
    form_class = LeadForm
    template_name = "sales/lead_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_success_url(self):
        return reverse("sales-leads:lead-detail", args=[self.object.pk])


class LeadCreateView(LeadFormMixin, CreateView):
    def form_valid(self, form):
        with transaction.atomic():
            # Saving without an owner lets the assignment rules choose one.
            self.object = form.save()
            if self.object.owner_id is None:
                self.object.owner = self.request.user
                self.object.save(update_fields=["owner", "updated"])
        messages.success(self.request, _("Lead created."))
        if not visible(Lead.objects.filter(pk=self.object.pk), self.request.user).exists():
            # The rules gave it to someone outside the creator's teams.
            messages.info(self.request, _("It was assigned to %(owner)s.")
                          % {"owner": self.object.owner})
            return HttpResponseRedirect(reverse("sales-leads:lead-list"))
        return HttpResponseRedirect(self.get_success_url())


class LeadUpdateView(LeadFormMixin, VisibleLeadsMixin, UpdateView):
    def get_queryset(self):
        return super().get_queryset().exclude(status=Lead.Status.CONVERTED)

    def form_valid(self, form):
        messages.success(self.request, _("Lead saved."))
        return super().form_valid(form)


class LeadReassignView(VisibleLeadsMixin, View):
    """Apply the assignment rules again (POST)."""

    def post(self, request, pk):
        lead = get_object_or_404(self.get_queryset(), pk=pk)
        if assign_by_rules(lead) is None:
            messages.warning(request, _("No assignment rule matches this lead."))
        else:
            messages.success(request, _("Lead assigned to %(owner)s.") % {"owner": lead.owner})
        return HttpResponseRedirect(reverse("sales-leads:lead-detail", args=[pk]))


class LeadConvertView(VisibleLeadsMixin, FormView):
    form_class = ConvertForm
    template_name = "sales/lead_convert.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.lead = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"opportunity_name": self.lead.company or str(self.lead)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(lead=self.lead, active="leads", **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            result = conversion.convert(
                self.lead.pk, self.request.user,
                account_id=data["account"].pk if data.get("account") else None,
                opportunity_name=data.get("opportunity_name") or "", amount=data.get("amount"),
                expected_close=data.get("expected_close"),
                pipeline_id=data["pipeline"].pk if data.get("pipeline") else None,
                stage_id=data["stage"].pk if data.get("stage") else None)
        except conversion.AlreadyConverted:
            messages.warning(self.request, _("This lead has already been converted."))
            return HttpResponseRedirect(reverse("sales-leads:lead-detail", args=[self.lead.pk]))
        except conversion.ConversionError as error:
            for name, problems in error.errors.items():
                form.add_error(name if name in form.fields else None, problems)
            return self.form_invalid(form)
        except Lead.DoesNotExist:
            raise Http404 from None
        summary = []
        for kind, label in (("account", _("account")), ("contact", _("contact"))):
            if kind in result.created:
                summary.append(_("new %(record)s") % {"record": label})
            elif kind in result.attached:
                summary.append(_("existing %(record)s") % {"record": label})
        messages.success(self.request, _("Lead converted: %(what)s and a new opportunity.")
                         % {"what": ", ".join(summary)})
        return HttpResponseRedirect(reverse("sales-leads:lead-detail", args=[self.lead.pk]))
