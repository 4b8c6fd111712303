"""Rule-based lead scores: points per field condition and per activity logged on the lead."""

from django.db.models import Count


def rules():
    """The active scoring rules and the points per activity kind, read once for many leads."""
    from crm_apps.sales.models import ActivityPoints, ScoringRule

    return (list(ScoringRule.objects.filter(active=True)),
            dict(ActivityPoints.objects.values_list("kind", "points")))


def score_of(lead, loaded=None) -> int:
    field_rules, per_kind = loaded or rules()
    points = sum(rule.points for rule in field_rules if rule.applies_to(lead))
    if per_kind and lead.pk:
        counts = (lead.activities.filter(deleted_at__isnull=True).values("kind")
                  .annotate(n=Count("pk")))
        points += sum(per_kind.get(row["kind"], 0) * row["n"] for row in counts)
    return points


def rescore(lead, loaded=None) -> int:
    """Store the lead's score if it changed (an UPDATE of that column alone, no signals)."""
    from crm_apps.sales.models import Lead

    score = score_of(lead, loaded)
    if score != lead.score:
        Lead.everything.filter(pk=lead.pk).update(score=score)
        lead.score = score
    return score


def score_in_bulk(leads, loaded=None) -> None:
    """Set ``score`` on many leads (not saved here) from one read of the rules and one count
    of the saved ones' activities, instead of queries per lead."""
    from django.apps import apps

    field_rules, per_kind = loaded or rules()
    saved = [lead.pk for lead in leads if lead.pk]
    activity_points: dict[int, int] = {}
    if per_kind and saved:
        counts = (apps.get_model("activities", "Activity").objects
                  .filter(lead__in=saved).values_list("lead_id", "kind")
                  .annotate(n=Count("pk")).order_by())
        for lead_id, kind, number in counts:
            activity_points[lead_id] = (activity_points.get(lead_id, 0)
                                        + per_kind.get(kind, 0) * number)
    for lead in leads:
        lead.score = (sum(rule.points for rule in field_rules if rule.applies_to(lead))
                      + activity_points.get(lead.pk, 0))


def rescore_all() -> int:
    """Recompute every live lead's score in this tenant; returns how many changed."""
    from crm_apps.sales.models import Lead

    loaded = rules()
    changed = 0
    for lead in Lead.objects.exclude(status="converted").iterator(chunk_size=500):
        before = lead.score
        if rescore(lead, loaded) != before:
            changed += 1
    return changed
