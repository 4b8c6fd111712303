"""Moving opportunities between stages and along a board column, with the won/lost rules,
the audit trail and the live push to the colleagues who can see the card."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.roles import STAFF_ROLES
from crm_apps.customers.visibility import visible
from crm_apps.customization.access import hidden_fields
from crm_apps.sales.models import Opportunity, Pipeline, Stage

Outcome = Stage.Outcome
Forecast = Opportunity.ForecastCategory
BOARD_ORDER = ("board_position", "id")
# Below this gap between neighbours a midpoint is no longer exact: the column is renumbered.
SMALLEST_GAP = 1e-6
STEP = 1024.0


def visible_opportunities(user):
    return visible(Opportunity.objects.all(), user)


def default_pipeline() -> Pipeline | None:
    return (Pipeline.objects.filter(is_default=True).first()
            or Pipeline.objects.order_by("position", "id").first())


def apply_stage_rules(opportunity: Opportunity, stage: Stage, lost_reason: str = "") -> None:
    """Set what a stage implies: won closes the deal, lost needs a reason, open reopens it.

    Raises ValidationError (keyed by field) when the stage cannot be taken.
    """
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ValidationError({"stage": [_("Choose a stage of the opportunity's pipeline.")]})
    lost_reason = (lost_reason or "").strip()
    if stage.outcome == Outcome.WON:
        if opportunity.stage.outcome != Outcome.WON or opportunity.closed_at is None:
            opportunity.closed_at = timezone.now()
        opportunity.forecast_category = Forecast.CLOSED
        opportunity.lost_reason = ""
    elif stage.outcome == Outcome.LOST:
        reason = lost_reason or opportunity.lost_reason
        if not reason:
            raise ValidationError({"lost_reason": [_("Say why the opportunity was lost.")]})
        opportunity.lost_reason = reason
        opportunity.closed_at = opportunity.closed_at or timezone.now()
        opportunity.forecast_category = Forecast.OMITTED
    else:
        if opportunity.stage.outcome != Outcome.OPEN:  # reopened: back into the forecast
            opportunity.forecast_category = Forecast.PIPELINE
        opportunity.closed_at = None
        opportunity.lost_reason = ""
    opportunity.stage = stage


def _column(stage: Stage):
    return Opportunity.objects.filter(stage=stage).order_by(*BOARD_ORDER)


def _renumber(stage: Stage, exclude_pk: int) -> None:
    for index, pk in enumerate(_column(stage).exclude(pk=exclude_pk)
                               .values_list("pk", flat=True)):
        Opportunity.objects.filter(pk=pk).update(board_position=(index + 1) * STEP)


def _position_between(stage: Stage, moving_pk: int, neighbour_pk: int | None,
                      place_before: bool) -> float:
    """The board position just before (or after) ``neighbour_pk`` in the column, or at the
    column's end when there is no neighbour."""
    for _attempt in range(2):
        column = list(_column(stage).exclude(pk=moving_pk).values_list("pk", "board_position"))
        if neighbour_pk is None:
            return (column[-1][1] + STEP) if column else STEP
        index = next((i for i, (pk, _pos) in enumerate(column) if pk == neighbour_pk), None)
        if index is None:
            raise ValidationError({"before" if place_before else "after": [
                _("That card is not in the target column.")]})
        low_index, high_index = (index - 1, index) if place_before else (index, index + 1)
        low = column[low_index][1] if low_index >= 0 else None
        high = column[high_index][1] if high_index < len(column) else None
        if low is None:
            return high - STEP
        if high is None:
            return low + STEP
        if high - low > SMALLEST_GAP:
            return (low + high) / 2
        _renumber(stage, moving_pk)
    raise ValidationError({"position": [_("Could not place the card; try again.")]})


def move(opportunity: Opportunity, stage: Stage, *, user, before: int | None = None,
         after: int | None = None, position: int | None = None,
         lost_reason: str = "") -> Opportunity:
    """Put a visible opportunity into ``stage`` before/after a card, at an index among the
    cards ``user`` sees, or at the column's end; audited as ``user`` and pushed live.

    Raises Opportunity.DoesNotExist if ``user`` cannot see it, ValidationError for a stage
    of another pipeline, a lost stage without a reason or an unknown neighbour.
    """
    with transaction.atomic():
        opportunity = visible_opportunities(user).select_for_update().get(pk=opportunity.pk)
        old_stage = opportunity.stage
        apply_stage_rules(opportunity, stage, lost_reason)
        for name, neighbour in (("before", before), ("after", after)):
            # A card the user cannot see is no landmark: its existence is not to be probed.
            if neighbour is not None and not visible_opportunities(user).filter(
                    pk=neighbour).exists():
                raise ValidationError({name: [_("That card is not in the target column.")]})
        if before is not None:
            opportunity.board_position = _position_between(stage, opportunity.pk, before, True)
        elif after is not None:
            opportunity.board_position = _position_between(stage, opportunity.pk, after, False)
        else:
            seen = []
            if position is not None:
                seen = list(visible(_column(stage), user).exclude(pk=opportunity.pk)
                            .values_list("pk", flat=True))
            if 0 <= (position or 0) < len(seen):
                opportunity.board_position = _position_between(stage, opportunity.pk,
                                                               seen[position], True)
            else:  # past the cards the user sees: right after the last of them
                opportunity.board_position = _position_between(
                    stage, opportunity.pk, seen[-1] if seen else None, False)
        with acting_as(user):
            opportunity.save()
        transaction.on_commit(lambda: push_move(opportunity, old_stage, user))
    return opportunity


def column_totals(pipeline: Pipeline, user) -> dict[int, dict]:
    """Per stage id: the count and total amount (Decimal) of the opportunities ``user`` sees."""
    rows = (visible_opportunities(user).filter(pipeline=pipeline).values("stage")
            .annotate(count=Count("id"), total=Sum("amount")))
    totals = {stage.pk: {"count": 0, "total": Decimal("0.00")}
              for stage in pipeline.stages.all()}
    for row in rows:
        totals[row["stage"]] = {"count": row["count"], "total": row["total"] or Decimal("0.00")}
    return totals


def card_data(opportunity: Opportunity) -> dict:
    """What a board card shows, as sent to colleagues' boards (strings for money)."""
    owner = opportunity.owner
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "pipeline": opportunity.pipeline_id,
        "stage": opportunity.stage_id,
        "board_position": opportunity.board_position,
        "amount": str(opportunity.amount),
        "currency": opportunity.currency,
        "account": opportunity.account.name if opportunity.account_id else "",
        "owner": (owner.get_full_name() or owner.email) if owner else "",
        "expected_close": str(opportunity.expected_close or ""),  # YYYY-MM-DD
    }


def viewers(opportunity: Opportunity) -> list:
    """The active staff who may see ``opportunity`` (the same rule as every list)."""
    users = get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
    return [user for user in users.distinct()
            if visible(Opportunity.objects.filter(pk=opportunity.pk), user).exists()]


def amount_hidden(user) -> bool:
    """Whether the tenant hides opportunity amounts from ``user``'s roles."""
    return "amount" in hidden_fields(Opportunity, user)


def push_if_moved(opportunity: Opportunity, old_stage: Stage, actor) -> None:
    """After an edit (form or API) that changed the stage, move the card on open boards."""
    if opportunity.stage_id != old_stage.pk:
        transaction.on_commit(lambda: push_move(opportunity, old_stage, actor))


def push_move(opportunity: Opportunity, old_stage: Stage, actor) -> None:
    """Tell the boards of everyone who sees the card (the mover's other tabs too) where it
    went."""
    from realtime.groups import push, user_group

    card = {**card_data(opportunity), "from_stage": old_stage.pk,
            "actor": getattr(actor, "pk", None)}
    # Without the amount for those it is hidden from: their boards show no money.
    no_amount = {key: value for key, value in card.items() if key != "amount"}
    schema = connection.schema_name
    push([(user_group(schema, user.pk),
           {"type": "board.move", "board": no_amount if amount_hidden(user) else card})
          for user in viewers(opportunity)])
