"""The customer's Oscar orders: store orders and orders from accepted quotes, with lines,
totals, status history and shipping events. Every row comes from portal.policy."""

from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import CustomerRequiredMixin
from portal import policy

PAGE_SIZE = 20


class OrderListView(CustomerRequiredMixin, View):
    def get(self, request):
        page_number = request.GET.get("page", "1")
        if not page_number.isdigit() or int(page_number) < 1:
            return HttpResponseBadRequest(_("Unknown page."))
        orders = (policy.orders_for(request.user).select_related("user")
                  .order_by("-date_placed", "-pk"))
        page = Paginator(orders, PAGE_SIZE).get_page(int(page_number))
        return render(request, "portal/orders/list.html", {
            "page": page, "orders": page.object_list,
            "unlinked": policy.customer_of(request.user) is None})


def order_of(user, number: str):
    """One of the customer's orders by its number: "missing" and "not yours" are one 404."""
    return get_object_or_404(policy.orders_for(user).select_related("user"), number=number)


def order_context(order) -> dict:
    quote = getattr(order, "quote", None)  # the accepted quote this order came from, if any
    return {
        "order": order,
        "lines": list(order.lines.all().order_by("pk")),
        "history": list(order.status_changes.order_by("date_created", "pk")),
        "shipping_events": list(order.shipping_events.select_related("event_type")
                                .prefetch_related("line_quantities__line")
                                .order_by("date_created", "pk")),
        "quote": quote,
    }


class OrderDetailView(CustomerRequiredMixin, View):
    def get(self, request, number):
        order = order_of(request.user, number)
        template = ("portal/orders/_live.html" if request.GET.get("part") == "live"
                    else "portal/orders/detail.html")
        return render(request, template, order_context(order))
