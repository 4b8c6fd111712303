"""Who sees which activities: those on customer records and leads the user sees, plus their
own."""

from django.apps import apps
from django.db.models import Q

from crm_apps.customers.models import Account, Contact
from crm_apps.customers.visibility import visible, visible_filter


def attended_by(user) -> Q:
    """Meetings ``user`` is invited to (a subquery, so no row repeats)."""
    from crm_apps.activities.models import Activity

    invited = Activity.attendees.through.objects.filter(user=user).values("activity_id")
    return Q(pk__in=invited)


def visible_activities(queryset, user):
    """``queryset`` narrowed to activities on accounts, contacts or leads ``user`` may see,
    and activities ``user`` owns, is assigned or attends."""
    if visible_filter(user) is None:
        return queryset
    accounts = visible(Account.objects.all(), user).values("pk")
    contacts = visible(Contact.objects.all(), user).values("pk")
    # Leads are the sales app's; named through the registry (activities sits below sales).
    leads = visible(apps.get_model("sales", "Lead").objects.all(), user).values("pk")
    return queryset.filter(Q(account__in=accounts) | Q(contact__in=contacts)
                           | Q(lead__in=leads) | Q(owner=user) | Q(assignee=user)
                           | attended_by(user))
