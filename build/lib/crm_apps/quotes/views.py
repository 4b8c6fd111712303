"""Quote pages of the back office: list with filters, detail with lines, totals and versions,
the form with its lines, new versions, sending, the PDF and deletion."""

import smtplib

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import visible
from crm_apps.quotes import services
from crm_apps.quotes.filters import QuotePageFilter
from crm_apps.quotes.forms import (
    LineFormSet,
    QuoteForm,
    catalogue,
    catalogue_prices,
    initial_lines,
)
from crm_apps.quotes.models import Quote
from crm_apps.sales.models import Opportunity

FILTER_NAMES = ("q", "status", "mine", "valid_after", "valid_before", "account", "opportunity")


def detail_url(quote: Quote) -> str:
    return reverse("quotes:detail", args=[quote.pk])


class QuoteMixin(StaffRequiredMixin):
    """Staff only, and only quotes the user may see (anything else is a 404)."""

    def get_queryset(self):
        return visible(Quote.objects.all(), self.request.user).select_related(
            "account", "contact", "owner", "team", "opportunity", "order")

    def get_quote(self, pk) -> Quote:
        return get_object_or_404(self.get_queryset(), pk=pk)


class QuoteListView(QuoteMixin, ListView):
    template_name = "quotes/quote_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = QuotePageFilter(self.request.GET or None, queryset=queryset,
                                         request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs.order_by("-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        context.update(filterset=self.filterset, values=data, page_query=query.urlencode(),
                       filtered=any(data.get(name) for name in FILTER_NAMES),
                       statuses=Quote.Status.choices)
        return context


def order_link(order) -> str | None:
    """The order's page in the store's dashboard, when the dashboard is there."""
    try:
        return reverse("dashboard:order-detail", kwargs={"number": order.number})
    except NoReverseMatch:
        return None


class QuoteDetailView(QuoteMixin, DetailView):
    template_name = "quotes/quote_detail.html"
    context_object_name = "quote"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quote, user = self.object, self.request.user
        versions = list(services.versions_of(quote))
        seen = set(visible(Quote.objects.filter(pk__in=[v.pk for v in versions]), user)
                   .values_list("pk", flat=True))
        newer = [version for version in versions if version.previous_id == quote.pk]
        context.update(
            lines=list(quote.lines.select_related("product")),
            versions=[(version, version.pk in seen) for version in versions],
            can_edit=quote.status in services.EDITABLE,
            # Superseded without a live successor: the next version went to the bin.
            can_revise=not newer and (quote.status in services.REVISABLE
                                      or quote.status == Quote.Status.SUPERSEDED),
            can_send=quote.status in {Quote.Status.DRAFT, Quote.Status.SENT},
            can_delete=quote.status != Quote.Status.ACCEPTED,
            order_url=order_link(quote.order) if quote.order_id else None,
            account_visible=visible(Account.objects.filter(pk=quote.account_id),
                                    user).exists(),
            opportunity_visible=bool(quote.opportunity_id) and visible(
                Opportunity.objects.filter(pk=quote.opportunity_id), user).exists())
        return context


class QuoteFormView(QuoteMixin, View):
    """The quote's fields and its lines on one page; saved together or not at all."""

    template_name = "quotes/quote_form.html"

    def get_instance(self) -> Quote:
        return Quote()

    def initial(self) -> dict:
        return {}

    def page(self, form, formset, products, status=200):
        quote = form.instance
        return render(self.request, self.template_name, {
            "form": form, "formset": formset, "object": quote if quote.pk else None,
            "prices": catalogue_prices(products),
            "title": _("Edit quote") if quote.pk else _("New quote"),
            "cancel_url": detail_url(quote) if quote.pk else reverse("quotes:list"),
        }, status=status)

    def get(self, request, *args, **kwargs):
        quote = self.get_instance()
        products = catalogue()
        form = QuoteForm(instance=quote, initial=self.initial(), user=request.user)
        formset = LineFormSet(prefix="lines", initial=initial_lines(quote) if quote.pk else None,
                              form_kwargs={"products": products, "currency": quote.currency})
        return self.page(form, formset, products)

    def post(self, request, *args, **kwargs):
        quote = self.get_instance()
        products = catalogue()
        form = QuoteForm(request.POST, instance=quote, user=request.user)
        form_valid = form.is_valid()
        currency = form.cleaned_data.get("currency") or quote.currency
        formset = LineFormSet(request.POST, prefix="lines",
                              form_kwargs={"products": products, "currency": currency})
        if not (form_valid and formset.is_valid()):
            return self.page(form, formset, products, status=400)
        try:
            with acting_as(request.user):
                saved = self.save(form, formset)
        except services.QuoteError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(detail_url(quote), status=303)
        messages.success(request, _("The quote was saved."))
        if visible(Quote.objects.filter(pk=saved.pk), request.user).exists():
            return HttpResponseRedirect(detail_url(saved), status=303)
        return HttpResponseRedirect(reverse("quotes:list"), status=303)


class QuoteCreateView(QuoteFormView):
    def initial(self) -> dict:
        """Prefilled from ?opportunity= (its account, contact, currency, owner) or ?account=."""
        initial = {}
        opportunity = self.request.GET.get("opportunity", "")
        if opportunity.isdigit():
            found = visible(Opportunity.objects.filter(pk=int(opportunity)),
                            self.request.user).select_related("account").first()
            if found is not None:
                initial = {name: getattr(value, "pk", value) for name, value
                           in services.defaults_from_opportunity(found).items()}
        account = self.request.GET.get("account", "")
        if account.isdigit() and not initial.get("account"):
            initial["account"] = int(account)
        return {name: value for name, value in initial.items() if value is not None}

    def save(self, form, formset) -> Quote:
        return services.create_quote(acting_user=self.request.user, lines=formset.lines(),
                                     **form.header())


class QuoteUpdateView(QuoteFormView):
    def not_a_draft(self, pk):
        """A redirect to the quote when it is not a draft (None when it is)."""
        self.quote = self.get_quote(pk)
        if self.quote.status in services.EDITABLE:
            return None
        messages.error(self.request, _("Only a draft can be changed; make a new version "
                                       "instead."))
        return HttpResponseRedirect(detail_url(self.quote), status=303)

    def get(self, request, pk):
        return self.not_a_draft(pk) or super().get(request)

    def post(self, request, pk):
        return self.not_a_draft(pk) or super().post(request)

    def get_instance(self) -> Quote:
        return self.quote

    def save(self, form, formset) -> Quote:
        # The form has already set the fields on the instance.
        return services.update_quote(form.instance, lines=formset.lines())


class QuoteNewVersionView(QuoteMixin, View):
    def post(self, request, pk):
        quote = self.get_quote(pk)
        try:
            with acting_as(request.user):
                following = services.new_version(quote, acting_user=request.user)
        except services.QuoteError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(detail_url(quote), status=303)
        messages.success(request, _("Version %(version)s was made; change it and send it.")
                         % {"version": following.version})
        return HttpResponseRedirect(reverse("quotes:edit", args=[following.pk]), status=303)


class QuoteSendView(QuoteMixin, View):
    """E-mails the quote to its contact, with the PDF and the link to answer it."""

    def post(self, request, pk):
        from crm_apps.quotes.mailing import send_quote

        quote = self.get_quote(pk)
        try:
            with acting_as(request.user):
                send_quote(quote, by=request.user)
        except services.QuoteError as error:
            messages.error(request, str(error))
        except (smtplib.SMTPException, OSError):
            messages.error(request, _("The mail server did not take the message; the quote "
                                      "was not sent. Try again later."))
        else:
            messages.success(request, _("The quote was sent."))
        return HttpResponseRedirect(detail_url(quote), status=303)


class QuotePdfView(QuoteMixin, View):
    def get(self, request, pk):
        from crm_apps.quotes.pdf import render_quote_pdf

        quote = self.get_quote(pk)
        response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{quote.number}-v{quote.version}.pdf"')
        return response


class QuoteDeleteView(QuoteMixin, View):
    """Moves the quote to the bin."""

    def post(self, request, pk):
        quote = self.get_quote(pk)
        try:
            with acting_as(request.user):
                services.delete_quote(quote)
        except services.QuoteError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(detail_url(quote), status=303)
        messages.success(request, _("The quote was moved to the bin."))
        return HttpResponseRedirect(reverse("quotes:list"), status=303)
