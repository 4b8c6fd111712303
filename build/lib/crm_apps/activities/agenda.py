"""A user's own agenda: the tasks they are to do and the meetings they hold or attend."""

from django.db.models import Q

from crm_apps.activities.models import Activity
from crm_apps.activities.visibility import attended_by


def my_tasks(user):
    """Tasks ``user`` is to do: assigned to them, or theirs with nobody assigned."""
    return Activity.objects.filter(Q(assignee=user) | Q(assignee__isnull=True, owner=user),
                                   kind=Activity.Kind.TASK)


def my_meetings(user):
    """Meetings ``user`` organised or is invited to."""
    return Activity.objects.filter(Q(owner=user) | attended_by(user),
                                   kind=Activity.Kind.MEETING)
