"""Invoice pages of the back office: list with filters, detail with lines, payments and refunds,
a draft by hand, issuing, sending, the PDF, voiding, payments and refunds (tenant admins and
managers), and an account's statement."""

import datetime
import smtplib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.billing import services, statements
from crm_apps.billing.access import handles_money, visible_invoices
from crm_apps.billing.errors import BillingError
from crm_apps.billing.filters import InvoiceFilter
from crm_apps.billing.forms import (
    InvoiceForm,
    LineFormSet,
    PaymentForm,
    RefundForm,
    StatementForm,
)
from crm_apps.billing.models import Invoice, Payment
from crm_apps.customers.models import Account
from crm_apps.customers.visibility import visible

LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "tax_rate")
FILTER_NAMES = ("q", "status", "account", "issued_after", "issued_before", "due_before")


def detail_url(invoice: Invoice) -> str:
    return reverse("billing:detail", args=[invoice.pk])


def back(invoice: Invoice) -> HttpResponseRedirect:
    return HttpResponseRedirect(detail_url(invoice), status=303)


class InvoiceMixin(StaffRequiredMixin):
    """Staff only, and only invoices of accounts the user sees (anything else is a 404)."""

    def get_queryset(self):
        return visible_invoices(Invoice.objects.all(), self.request.user).select_related(
            "account", "contact", "contract", "order")

    def get_invoice(self, pk) -> Invoice:
        return get_object_or_404(self.get_queryset(), pk=pk)


class MoneyMixin(InvoiceMixin):
    """Payments, refunds and voiding: tenant admins and managers only."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not handles_money(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class InvoiceListView(InvoiceMixin, ListView):
    template_name = "billing/invoice_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = InvoiceFilter(self.request.GET or None, queryset=queryset,
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
                       statuses=Invoice.Status.choices)
        return context


class InvoiceDetailView(InvoiceMixin, DetailView):
    template_name = "billing/invoice_detail.html"
    context_object_name = "invoice"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice, user = self.object, self.request.user
        payments = list(invoice.payments.prefetch_related("refunds"))
        money = handles_money(user)
        context.update(
            lines=list(invoice.lines.all()), payments=payments,
            can_issue=invoice.is_draft, can_delete=invoice.is_draft,
            can_send=invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.VOID),
            can_pay=money and invoice.status in services.PAYABLE,
            can_refund=money, refund_form=RefundForm(),
            can_void=money and invoice.status in services.VOIDABLE and not invoice.paid_total,
            account_visible=visible(Account.objects.filter(pk=invoice.account_id),
                                    user).exists())
        return context


class InvoiceCreateView(InvoiceMixin, View):
    template_name = "billing/invoice_form.html"

    def page(self, form, formset, status=200):
        return render(self.request, self.template_name, {
            "form": form, "formset": formset, "title": _("New invoice"),
            "cancel_url": reverse("billing:list")}, status=status)

    def get(self, request):
        initial = {}
        account = request.GET.get("account", "")
        if account.isdigit():
            initial["account"] = int(account)
        return self.page(InvoiceForm(initial=initial, user=request.user),
                         LineFormSet(prefix="lines"))

    def post(self, request):
        form = InvoiceForm(request.POST, user=request.user)
        formset = LineFormSet(request.POST, prefix="lines")
        form_valid = form.is_valid()
        if not (form_valid and formset.is_valid()):
            return self.page(form, formset, status=400)
        with acting_as(request.user):
            invoice = services.create_manual(lines=formset.lines(), **form.header())
        messages.success(request, _("The draft invoice was saved; issue it to number it."))
        return back(invoice)


class InvoiceEditView(InvoiceCreateView):
    """A draft's fields and lines, changed on the same form that made it (issued invoices are
    fixed: they are voided and made again)."""

    def draft_or_back(self, pk):
        invoice = self.get_invoice(pk)
        if not invoice.is_draft:
            messages.error(self.request, _("Only a draft can be changed."))
            return invoice, back(invoice)
        return invoice, None

    def page(self, form, formset, status=200):
        return render(self.request, self.template_name, {
            "form": form, "formset": formset, "invoice": self.invoice,
            "title": _("Edit draft invoice"), "cancel_url": detail_url(self.invoice)},
            status=status)

    def get(self, request, pk):
        self.invoice, refused = self.draft_or_back(pk)
        if refused:
            return refused
        lines = [{name: getattr(line, name) for name in LINE_FIELDS}
                 for line in self.invoice.lines.order_by("position")]
        return self.page(InvoiceForm(instance=self.invoice, user=request.user),
                         LineFormSet(prefix="lines", initial=lines))

    def post(self, request, pk):
        self.invoice, refused = self.draft_or_back(pk)
        if refused:
            return refused
        form = InvoiceForm(request.POST, instance=Invoice.objects.get(pk=pk), user=request.user)
        formset = LineFormSet(request.POST, prefix="lines")
        form_valid = form.is_valid()
        if not (form_valid and formset.is_valid()):
            return self.page(form, formset, status=400)
        try:
            with acting_as(request.user):
                services.update_draft(self.invoice, lines=formset.lines(), **form.header())
        except BillingError as error:  # issued by someone else meanwhile
            messages.error(request, str(error))
        else:
            messages.success(request, _("The draft invoice was saved."))
        return back(self.invoice)


class InvoiceActionView(InvoiceMixin, View):
    """A POST that runs one service on the invoice and goes back to its page."""

    success_message = ""

    def act(self, invoice: Invoice):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        try:
            with acting_as(request.user):
                self.act(invoice)
        except BillingError as error:
            messages.error(request, str(error))
        except (smtplib.SMTPException, OSError):
            messages.error(request, _("The mail server did not take the message; the invoice "
                                      "was not sent. Try again later."))
        else:
            messages.success(request, self.success_message)
        return back(invoice)


class InvoiceIssueView(InvoiceActionView):
    def act(self, invoice):
        issued = services.issue(invoice)
        self.success_message = _("Invoice %(number)s was issued.") % {"number": issued.number}


class InvoiceSendView(InvoiceActionView):
    def act(self, invoice):
        from crm_apps.billing.mailing import send_invoice

        send_invoice(invoice, by=self.request.user)
        self.success_message = _("The invoice was sent.")


class InvoiceVoidView(MoneyMixin, InvoiceActionView):
    def act(self, invoice):
        services.void(invoice)
        self.success_message = _("The invoice was voided.")


class InvoiceDeleteView(InvoiceMixin, View):
    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        try:
            services.delete_draft(invoice)
        except BillingError as error:
            messages.error(request, str(error))
            return back(invoice)
        messages.success(request, _("The draft invoice was deleted."))
        return HttpResponseRedirect(reverse("billing:list"), status=303)


class InvoicePdfView(InvoiceMixin, View):
    def get(self, request, pk):
        from crm_apps.billing.mailing import pdf_filename
        from crm_apps.billing.pdf import render_invoice_pdf

        invoice = self.get_invoice(pk)
        response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(invoice)}"'
        return response


class PaymentCreateView(MoneyMixin, View):
    template_name = "billing/payment_form.html"

    def page(self, invoice, form, status=200):
        return render(self.request, self.template_name, {"invoice": invoice, "form": form},
                      status=status)

    def get(self, request, pk):
        invoice = self.get_invoice(pk)
        return self.page(invoice, PaymentForm(initial={"amount": invoice.open_amount,
                                                       "method": "bank_transfer"}))

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        form = PaymentForm(request.POST)
        if not form.is_valid():
            return self.page(invoice, form, status=400)
        values = {name: value for name, value in form.cleaned_data.items() if value}
        try:
            services.record_payment(invoice, by=request.user, **values)
        except BillingError as error:
            form.add_error("amount" if error.status == 400 else None, str(error))
            return self.page(invoice, form, status=error.status)
        messages.success(request, _("The payment was recorded."))
        return back(invoice)


class RefundCreateView(MoneyMixin, View):
    def post(self, request, pk, payment_pk):
        from crm_apps.billing.refunds import refund_payment

        invoice = self.get_invoice(pk)
        payment = get_object_or_404(Payment, pk=payment_pk, invoice=invoice)
        form = RefundForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return back(invoice)
        try:
            refund_payment(payment, form.cleaned_data["amount"],
                           reason=form.cleaned_data["reason"], by=request.user)
        except BillingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The refund was recorded."))
        return back(invoice)


class StatementView(StaffRequiredMixin, View):
    """An account's statement for a date range (this year so far by default)."""

    def get(self, request, account_pk):
        account = get_object_or_404(visible(Account.objects.all(), request.user), pk=account_pk)
        today = services.tenant_today()
        data = request.GET if {"start", "end"} & set(request.GET) else {
            "start": datetime.date(today.year, 1, 1).isoformat(), "end": today.isoformat()}
        form = StatementForm(data)
        result, status = None, 200
        if form.is_valid():
            result = statements.statement(account, form.cleaned_data["start"],
                                          form.cleaned_data["end"])
        else:
            status = 400
        return render(request, "billing/statement.html", {
            "account": account, "form": form, "statement": result,
            "balance": services.balance(account)}, status=status)
