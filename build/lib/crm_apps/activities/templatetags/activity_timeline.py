"""The timeline panel of account and contact pages: ``{% record_timeline record %}``."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm_apps.activities import timeline
from crm_apps.activities.models import Activity
from crm_apps.activities.zones import tenant_zone
from crm_apps.customers.models import Account
from crm_apps.customers.views import person_name

register = template.Library()

ICONS = {"task": "bi-check2-square", "call": "bi-telephone", "meeting": "bi-people",
         "note": "bi-sticky", "email": "bi-envelope", "ticket": "bi-life-preserver",
         "order": "bi-bag", "invoice": "bi-receipt", "quote": "bi-file-earmark-text"}
# Labels of kinds other apps register; anything else shows its own kind name.
LABELS = {**dict(Activity.Kind.choices), "ticket": _("Ticket"), "order": _("Order"),
          "invoice": _("Invoice"), "quote": _("Quote")}
PAGE = 20


def decorate(items: list[dict]) -> list[dict]:
    """Add what the panel shows to each item: icon, label, the page it opens and, for
    activities, the activity itself (one query for the page)."""
    ids = [item["id"] for item in items if item["source"] == "activities"]
    activities = Activity.objects.select_related("assignee").in_bulk(ids)
    for item in items:
        item["icon"] = ICONS.get(item["kind"], "bi-circle")
        item["label"] = LABELS.get(item["kind"], str(item["kind"]).replace("_", " ").title())
        item["activity"] = None
        item["url"] = item.get("link") or ""
        if item["source"] == "activities":
            item["activity"] = activities.get(item["id"])
            item["url"] = reverse("activities:detail", args=[item["id"]])
    return items


@register.inclusion_tag("activities/_timeline_panel.html", takes_context=True)
def record_timeline(context, record):
    """The newest items of ``record``'s timeline that the signed-in user may see, the buttons
    that add to it and a link to older items."""
    request = context["request"]
    name = "account" if isinstance(record, Account) else "contact"
    items, more = timeline.items(user=request.user, limit=PAGE, **{name: record})
    more_url = ""
    if more and items:
        more_url = (f"{reverse('activities:timeline')}?{name}={record.pk}"
                    f"&cursor={timeline.encode_cursor(items[-1])}")
    here = request.get_full_path()
    return {"items": decorate(items), "more_url": more_url, "record": record,
            "record_kind": name, "query": f"{name}={record.pk}", "here": here,
            "zone": tenant_zone(), "can_email": name == "contact"}


@register.filter
def kind_icon(kind: str) -> str:
    """The Bootstrap icon class of an activity or timeline kind."""
    return ICONS.get(kind, "bi-circle")


@register.filter(name="person_name")
def person_name_filter(contact) -> str:
    """A contact's name as people write it (Chinese names family name first)."""
    return person_name(contact) if contact else ""
