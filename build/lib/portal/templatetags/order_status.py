"""``{{ order.status|order_status }}``: an order status in the reader's language."""

from django import template

from store.order_statuses import status_label

register = template.Library()
register.filter("order_status", status_label)
