"""Template tags of quotes for other apps' pages (the opportunity's quotes)."""

from django import template

from crm_apps.customers.visibility import visible
from crm_apps.quotes.models import Quote

register = template.Library()


@register.simple_tag(takes_context=True)
def opportunity_quotes(context, opportunity):
    """The quotes of ``opportunity`` the page's user may see, newest first."""
    user = context["request"].user
    return list(visible(Quote.objects.filter(opportunity=opportunity), user)
                .order_by("-id")[:50])
