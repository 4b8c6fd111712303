"""The page of the "Is this your order?" link: the account holder, signed in, sees the guest
order placed with their e-mail and confirms it is theirs; only then does it join their
account. Anyone else, a changed or an expired link gets an error page and nothing changes."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from crm_apps.purchases import claims

TEMPLATE = "store/checkout/claim_order.html"


def refused(request, error: claims.ClaimRefused):
    return render(request, TEMPLATE, {"error": error.message}, status=error.status)


class ClaimOrderView(View):
    """GET shows the order and a confirm button; POST links it (crm_apps.purchases.claims)."""

    def get(self, request, token):
        already = claims.claimed_link(token, request.user)
        if already is not None:
            return redirect(reverse("portal:order", args=[already.order.number]))
        try:
            pending = claims.access_claim(token, request.user)
        except claims.ClaimRefused as error:
            return refused(request, error)
        return render(request, TEMPLATE, {"order": pending.order, "email": pending.email})

    def post(self, request, token):
        already = claims.claimed_link(token, request.user)
        if already is not None:
            return redirect(reverse("portal:order", args=[already.order.number]))
        try:
            link = claims.claim_order(claims.access_claim(token, request.user))
        except claims.ClaimRefused as error:
            return refused(request, error)
        messages.success(request, _("Order %(number)s is now in your account.")
                         % {"number": link.order.number})
        return redirect(reverse("portal:order", args=[link.order.number]))
