"""Contract pages of the back office: list with filters, detail with its terms, forms, renewal
and deletion."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.contracts import services
from crm_apps.contracts.filters import ContractPageFilter
from crm_apps.contracts.forms import ContractForm
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import visible

FILTER_NAMES = ("q", "status", "mine", "auto_renew", "end_after", "end_before", "account")


class ContractMixin(StaffRequiredMixin):
    """Staff only, and only contracts the user may see (anything else is a 404)."""

    def get_queryset(self):
        return visible(Contract.objects.all(), self.request.user).select_related(
            "account", "contact", "owner", "team")


class ContractListView(ContractMixin, ListView):
    template_name = "contracts/contract_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = ContractPageFilter(self.request.GET or None, queryset=queryset,
                                            request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs.order_by("end", "id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        context.update(filterset=self.filterset, values=data, page_query=query.urlencode(),
                       filtered=any(data.get(name) for name in FILTER_NAMES),
                       statuses=Contract.Status.choices)
        return context


class ContractDetailView(ContractMixin, DetailView):
    template_name = "contracts/contract_detail.html"
    context_object_name = "contract"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        seen = set(visible(Contract.objects.all(), self.request.user)
                   .filter(pk__in=[term.pk for term in contract.terms()])
                   .values_list("pk", flat=True))
        context.update(
            terms=[(term, term.pk in seen) for term in contract.terms()],
            can_renew=(contract.status in services.RENEWABLE
                       and not contract.renewals.exists()),
            account_visible=visible(Account.objects.filter(pk=contract.account_id),
                                    self.request.user).exists())
        return context


class ContractFormMixin(ContractMixin):
    template_name = "contracts/contract_form.html"
    form_class = ContractForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        with acting_as(self.request.user):
            self.object = form.save()
        messages.success(self.request, _("The contract was saved."))
        if visible(Contract.objects.filter(pk=self.object.pk), self.request.user).exists():
            return HttpResponseRedirect(reverse("contracts:detail", args=[self.object.pk]))
        return HttpResponseRedirect(reverse("contracts:list"))


class ContractCreateView(ContractFormMixin, CreateView):
    def get_initial(self):
        initial = super().get_initial()
        account = self.request.GET.get("account", "")
        if account.isdigit():
            initial["account"] = int(account)
        return initial

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": _("New contract"),
                "cancel_url": reverse("contracts:list")}


class ContractUpdateView(ContractFormMixin, UpdateView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": _("Edit contract"),
                "cancel_url": reverse("contracts:detail", args=[self.object.pk])}


class ContractRenewView(ContractMixin, View):
    """The "Renew" button: the next term, or a message saying why not."""

    def post(self, request, pk):
        contract = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            with acting_as(request.user):
                following = services.renew(contract)
        except services.RenewalError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("contracts:detail", args=[pk]), status=303)
        messages.success(request, _("The next term was created."))
        return HttpResponseRedirect(reverse("contracts:detail", args=[following.pk]),
                                    status=303)


class ContractDeleteView(ContractMixin, View):
    """Moves the contract to the bin."""

    def post(self, request, pk):
        contract = get_object_or_404(self.get_queryset(), pk=pk)
        with acting_as(request.user):
            contract.soft_delete()
        messages.success(request, _("The contract was moved to the bin."))
        return HttpResponseRedirect(reverse("contracts:list"), status=303)
