"""The customer's invoices in the portal: list, detail, PDF, and paying open invoices through
Stripe's hosted checkout. Every invoice comes from portal.policy; an invoice becomes paid only
when Stripe's webhook says so (crm_apps.billing.stripe_apply), never when the browser returns."""

import datetime
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from core import stripe_gateway
from core.permissions import CustomerRequiredMixin
from crm_apps.billing.errors import state_error
from crm_apps.billing.mailing import pdf_filename
from crm_apps.billing.models import ZERO, Invoice
from crm_apps.billing.pdf import render_invoice_pdf
from crm_apps.billing.services import PAYABLE
from crm_apps.payments.models import StripePayment
from portal import policy

PAGE_SIZE = 20
# More than a customer ticks on one page; a bound keeps a crafted form from naming thousands.
MAX_INVOICES_PER_PAYMENT = 50
# Stripe keeps a checkout session open for 24 hours; an older one is not offered again.
REUSE_CHECKOUT_WITHIN = datetime.timedelta(hours=23)
WAITING = (StripePayment.Status.CREATED, StripePayment.Status.PENDING)
SETTLED = (StripePayment.Status.SUCCEEDED, StripePayment.Status.REFUNDED,
           StripePayment.Status.PARTIALLY_REFUNDED)


def customer_invoices(user):
    """The issued invoices the customer sees (a draft is the staff's work in progress)."""
    return policy.invoices_for(user).exclude(status=Invoice.Status.DRAFT)


def invoice_of(user, pk: int) -> Invoice:
    """One of the customer's invoices: "missing" and "not yours" are one 404."""
    return get_object_or_404(customer_invoices(user).select_related("account", "contact"),
                             pk=pk)


def is_payable(invoice: Invoice) -> bool:
    return invoice.status in PAYABLE and invoice.open_amount > ZERO


class PaymentRefused(Exception):
    """A pay request the page answers with a message and a 4xx (or 503) status."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


class InvoiceListView(CustomerRequiredMixin, View):
    def get(self, request):
        page_number = request.GET.get("page", "1")
        if not page_number.isdigit() or int(page_number) < 1:
            return HttpResponseBadRequest(_("Unknown page."))
        return self.render_list(request, page_number=int(page_number),
                                canceled=bool(request.GET.get("canceled")))

    @staticmethod
    def render_list(request, *, page_number: int = 1, canceled: bool = False, error: str = "",
                    selected=(), status: int = 200):
        invoices = (customer_invoices(request.user).select_related("contact")
                    .order_by("-issue_date", "-pk"))
        page = Paginator(invoices, PAGE_SIZE).get_page(page_number)
        rows = list(page.object_list)
        for invoice in rows:
            invoice.payable = is_payable(invoice)
        return render(request, "portal/invoices/list.html", {
            "page": page, "invoices": rows, "canceled": canceled, "error": error,
            "selected": {str(pk) for pk in selected},
            "any_payable": any(invoice.payable for invoice in rows),
            "payments_ready": stripe_gateway.configured(),
            "show_contact": bool(getattr(policy.customer_of(request.user),
                                         "is_company_admin", False)),
            "unlinked": policy.customer_of(request.user) is None,
        }, status=status)


class InvoiceDetailView(CustomerRequiredMixin, View):
    def get(self, request, pk):
        invoice = invoice_of(request.user, pk)
        payments = list(invoice.payments.prefetch_related("refunds").order_by("received_at",
                                                                               "pk"))
        return render(request, "portal/invoices/detail.html", {
            "invoice": invoice, "lines": list(invoice.lines.all()), "payments": payments,
            "payable": is_payable(invoice), "payments_ready": stripe_gateway.configured(),
        })


class InvoicePdfView(CustomerRequiredMixin, View):
    def get(self, request, pk):
        invoice = invoice_of(request.user, pk)
        response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(invoice)}"'
        return response


def chosen_ids(post) -> list[int]:
    """The invoice ids of the pay form, each once, in order; PaymentRefused for bad input."""
    raw = post.getlist("invoice")
    if not raw:
        raise PaymentRefused(_("Choose at least one open invoice to pay."), 400)
    if len(raw) > MAX_INVOICES_PER_PAYMENT:
        raise PaymentRefused(_("Pay at most %(count)d invoices at once.")
                             % {"count": MAX_INVOICES_PER_PAYMENT}, 400)
    if any(not value.isdigit() or len(value) > 12 for value in raw):
        raise PaymentRefused(_("Unknown invoice."), 400)
    return sorted({int(value) for value in raw})


def payable_invoices(user, ids: list[int]) -> list[Invoice]:
    """The customer's invoices named by ``ids``, all open and in one currency. An id the
    customer does not see is a 404, whatever the others are."""
    invoices = list(customer_invoices(user).filter(pk__in=ids).order_by("pk"))
    if len(invoices) != len(ids):
        raise Http404
    for invoice in invoices:
        if not is_payable(invoice):
            reason = (state_error(invoice.status).message if invoice.status not in PAYABLE
                      else _("Nothing is due on it."))
            raise PaymentRefused(_("Invoice %(number)s cannot be paid: %(reason)s")
                                 % {"number": invoice.number, "reason": reason}, 409)
    if len({invoice.currency for invoice in invoices}) > 1:
        raise PaymentRefused(_("Invoices in different currencies are paid one currency at a "
                               "time. Choose invoices of one currency."), 400)
    return invoices


def payment_for(user, invoices: list[Invoice]) -> StripePayment:
    """Our payment record for paying ``invoices`` now. A second press of "Pay" for the same
    invoices and amount reuses the waiting one, so its checkout (same idempotency key) is
    the same and the customer cannot start two charges for one bill."""
    ids = [invoice.pk for invoice in invoices]
    amount = sum((invoice.open_amount for invoice in invoices), Decimal("0.00"))
    currency = invoices[0].currency.upper()
    reference = {"invoice_ids": ids}
    waiting = (StripePayment.objects
               .filter(purpose=StripePayment.Purpose.INVOICES, customer_user=user,
                       reference=reference, amount=amount, currency=currency,
                       status__in=WAITING,
                       created__gte=timezone.now() - REUSE_CHECKOUT_WITHIN)
               .order_by("-created").first())
    if waiting is not None:
        return waiting
    return StripePayment.objects.create(purpose=StripePayment.Purpose.INVOICES,
                                        reference=reference, amount=amount,
                                        currency=currency, customer_user=user)


class PayInvoicesView(CustomerRequiredMixin, View):
    def post(self, request):
        selected = request.POST.getlist("invoice")
        try:
            invoices = payable_invoices(request.user, chosen_ids(request.POST))
            if not stripe_gateway.configured():
                raise PaymentRefused(not_configured_message(), 409)
            for invoice in invoices:  # an amount Stripe cannot charge (0.5 JPY) is refused
                try:
                    stripe_gateway.to_minor_units(invoice.open_amount, invoice.currency)
                except ValueError:
                    raise PaymentRefused(_("Invoice %(number)s cannot be paid online; please "
                                           "contact us.") % {"number": invoice.number},
                                         409) from None
            payment = payment_for(request.user, invoices)
            url = stripe_gateway.start_checkout(
                payment, line_items=[{"name": _("Invoice %(number)s") % {
                    "number": invoice.number}, "amount": invoice.open_amount, "quantity": 1}
                    for invoice in invoices],
                success_url=request.build_absolute_uri(
                    reverse("portal:invoice-paid", args=[payment.pk])),
                cancel_url=request.build_absolute_uri(reverse("portal:invoices"))
                + "?canceled=1",
                customer_email=request.user.email or "")
        except stripe_gateway.StripeNotConfigured:
            return self.refuse(request, selected, not_configured_message(), 409)
        except stripe_gateway.StripeUnavailable:
            return self.refuse(request, selected, _(
                "The payment service could not be reached. Nothing was charged; please try "
                "again in a moment."), 503)
        except PaymentRefused as refused:
            return self.refuse(request, selected, refused.message, refused.status)
        return HttpResponseRedirect(url, status=303)

    @staticmethod
    def refuse(request, selected, message: str, status: int):
        return InvoiceListView.render_list(request, error=message, selected=selected,
                                           status=status)


def not_configured_message() -> str:
    return _("Online payment is not available yet. Please pay by bank transfer or contact us.")


class PaymentConfirmationView(CustomerRequiredMixin, View):
    """Where Stripe sends the customer back: the payment is confirming until the webhook has
    recorded it; the page (and its ?part=live fragment) shows each invoice's own status."""

    def get(self, request, payment_id):
        payment = get_object_or_404(StripePayment, pk=payment_id,
                                    purpose=StripePayment.Purpose.INVOICES,
                                    customer_user=request.user)
        ids = [int(pk) for pk in (payment.reference or {}).get("invoice_ids", [])
               if str(pk).isdigit()]
        invoices = list(customer_invoices(request.user).filter(pk__in=ids).order_by("pk"))
        paid_here = set(payment.invoice_payments.values_list("invoice_id", flat=True))
        for invoice in invoices:
            invoice.paid_by_this_payment = invoice.pk in paid_here
        context = {
            "payment": payment, "invoices": invoices,
            "confirmed": payment.status in SETTLED,
            "failed": payment.status in (StripePayment.Status.FAILED,
                                         StripePayment.Status.CANCELED),
        }
        context["settled"] = context["confirmed"] or context["failed"]
        template = ("portal/invoices/_confirmation_live.html"
                    if request.GET.get("part") == "live" else "portal/invoices/paid.html")
        return render(request, template, context)
