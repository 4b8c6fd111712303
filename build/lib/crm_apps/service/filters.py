"""List filters of the ticket API: fields, tags and the agents' queues."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Tag
from crm_apps.service.models import Ticket
from crm_apps.service.queues import QUEUES, queue_rule, search_rule


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices,
                                                 label=_("Status"))
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices,
                                                   label=_("Priority"))
    kind = django_filters.MultipleChoiceFilter(choices=Ticket.Kind.choices, label=_("Type"))
    tag = django_filters.ModelChoiceFilter(queryset=Tag.objects.all(), field_name="tags",
                                           label=_("Tag"))
    queue = django_filters.ChoiceFilter(choices=QUEUES, method="filter_queue",
                                        label=_("Queue"))
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    class Meta:
        model = Ticket
        fields = ["status", "priority", "kind", "channel", "owner", "team", "account", "contact",
                  "tag", "queue", "q"]

    def filter_queue(self, queryset, name, value):
        return queryset.filter(queue_rule(value, self.request.user))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(search_rule(value))  # the same search as the agents' queues
