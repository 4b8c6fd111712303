"""The customer's quote pages, opened from the e-mailed link without signing in: the token in
the link is the credential (unguessable, one per version, like a signed document link) and is
looked up in the request tenant's schema only. Accept or decline happen here."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import View

from core.forms import BootstrapFormMixin
from crm_apps.customization.models import Branding
from crm_apps.quotes.acceptance import accept_quote, decline_quote, is_expired
from crm_apps.quotes.errors import QuoteError
from crm_apps.quotes.mailing import pdf_filename
from crm_apps.quotes.models import Quote
from crm_apps.quotes.pdf import person_name, render_quote_pdf


class AcceptForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Your full name"), max_length=200,
                           error_messages={"required": _("Type your name to accept.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
        self.fields["name"].widget.attrs["autocomplete"] = "name"


class DeclineForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    reason = forms.CharField(label=_("Why are you declining? (optional)"), max_length=500,
                             required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


def newest_version(quote: Quote) -> Quote:
    """The last version in the chain that replaced ``quote``."""
    current = quote
    for _step in range(100):  # a chain is short; the bound guards against a loop in bad data
        following = Quote.objects.filter(previous=current).first()
        if following is None:
            break
        current = following
    return current


class QuoteTokenMixin:
    """The quote of the link's token, in the quote's language unless the reader chose one."""

    def get_quote(self, token: str) -> Quote:
        quote = get_object_or_404(Quote.objects.select_related("account", "contact"),
                                  access_token=token)
        if quote.status == Quote.Status.DRAFT:  # never sent: nothing to show a customer yet
            raise Http404
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            translation.activate(quote.language)
            self.request.LANGUAGE_CODE = quote.language
        return quote

    def render_page(self, quote: Quote, *, accept_form=None, decline_form=None, error="",
                    status=200):
        newest = newest_version(quote) if quote.status == Quote.Status.SUPERSEDED else None
        context = {
            "quote": quote, "lines": list(quote.lines.all()), "branding": Branding.current(),
            "expired": quote.status == Quote.Status.EXPIRED or (
                quote.status == Quote.Status.SENT and is_expired(quote)),
            "newest": newest if newest is not None and newest.sent_at and newest.status not in (
                Quote.Status.DRAFT, Quote.Status.SUPERSEDED) else None,
            "accept_form": accept_form or AcceptForm(),
            "decline_form": decline_form or DeclineForm(),
            "error": error, "contact_name": person_name(quote.contact),
            "order_number": quote.order.number if quote.order_id else "",
        }
        context["answerable"] = quote.status == Quote.Status.SENT and not context["expired"]
        return render(self.request, "portal/quote_detail.html", context, status=status)


class QuoteDetailView(QuoteTokenMixin, View):
    def get(self, request, token):
        return self.render_page(self.get_quote(token))


class QuotePdfView(QuoteTokenMixin, View):
    def get(self, request, token):
        quote = self.get_quote(token)
        response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(quote)}"'
        return response


class QuoteAcceptView(QuoteTokenMixin, View):
    def post(self, request, token):
        quote = self.get_quote(token)
        form = AcceptForm(request.POST)
        if not form.is_valid():
            return self.render_page(quote, accept_form=form, status=400)
        try:
            order = accept_quote(quote.pk, form.cleaned_data["name"])
        except QuoteError as error:
            quote.refresh_from_db()
            return self.render_page(quote, accept_form=form, error=error.message,
                                    status=error.status)
        messages.success(request, _("Thank you: the quote is accepted. Your order number is "
                                    "%(number)s.") % {"number": order.number})
        return HttpResponseRedirect(reverse("portal:quote", args=[token]), status=303)


class QuoteDeclineView(QuoteTokenMixin, View):
    def post(self, request, token):
        quote = self.get_quote(token)
        form = DeclineForm(request.POST)
        if not form.is_valid():
            return self.render_page(quote, decline_form=form, status=400)
        try:
            decline_quote(quote.pk, form.cleaned_data["name"], form.cleaned_data["reason"])
        except QuoteError as error:
            quote.refresh_from_db()
            return self.render_page(quote, decline_form=form, error=error.message,
                                    status=error.status)
        messages.info(request, _("The quote is declined. Thank you for letting us know."))
        return HttpResponseRedirect(reverse("portal:quote", args=[token]), status=303)


def brand_logo(request):
    """The tenant's logo, for its pages and e-mails (public, like the logo on its website)."""
    branding = Branding.current()
    if not branding.logo:
        raise Http404
    try:
        stored = branding.logo.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(stored, content_type=(
        "image/png" if branding.logo.name.lower().endswith(".png") else "image/jpeg"))
    response["Cache-Control"] = "public, max-age=3600"
    return response
