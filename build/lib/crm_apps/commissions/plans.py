"""Which plan a rep is on: one plan at a time, and the plan that governs a period."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from crm_apps.commissions.models import PlanMembership
from crm_apps.forecast.periods import Period


def overlapping(rep_id: int, starts_on: date, ends_on: date | None, *, exclude_ids=()):
    """Memberships of ``rep_id`` that share at least one day with [starts_on, ends_on]."""
    queryset = PlanMembership.objects.filter(rep_id=rep_id).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        queryset = queryset.filter(starts_on__lte=ends_on)
    return queryset.exclude(pk__in=[pk for pk in exclude_ids if pk])


def check_memberships(memberships) -> None:
    """Raise ValidationError when two of ``memberships`` (unsaved or saved objects with
    rep_id, starts_on, ends_on) or one of them and a stored membership of the same rep
    overlap: a rep is on one plan at a time."""
    memberships = list(memberships)
    own_ids = [membership.pk for membership in memberships]
    for index, membership in enumerate(memberships):
        if membership.ends_on and membership.ends_on < membership.starts_on:
            raise ValidationError(_("A membership cannot end before it starts."))
        for other in memberships[index + 1:]:
            if other.rep_id == membership.rep_id and _overlap(membership, other):
                raise ValidationError(_("%(rep)s is on two plans at the same time.")
                                      % {"rep": membership.rep})
        if overlapping(membership.rep_id, membership.starts_on, membership.ends_on,
                       exclude_ids=own_ids).exclude(plan_id=membership.plan_id).exists():
            raise ValidationError(_("%(rep)s is already on another plan at that time.")
                                  % {"rep": membership.rep})


def _overlap(first, second) -> bool:
    far = date.max
    return (first.starts_on <= (second.ends_on or far)
            and second.starts_on <= (first.ends_on or far))


def membership_for(rep_id: int, period: Period) -> PlanMembership | None:
    """The membership that governs ``period``: the latest one that starts on or before the
    period's last day and has not ended before its first (a plan taken up during a period
    governs that whole period)."""
    last_day = period.end - timedelta(days=1)
    return (overlapping(rep_id, period.start, last_day).select_related("plan")
            .order_by("-starts_on", "-id").first())
