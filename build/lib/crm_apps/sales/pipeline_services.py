"""Moving opportunities between stages and along a board column, with the won/lost rules,
the audit trail and the live push to the colleagues who can see the card."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.roles import STAFF_ROLES
from crm_apps.customers.visibility import visible, visible_filter
from crm_apps.customization.access import hidden_fields
from crm_apps.sales.models import Opportunity, Pipeline, Stage

Outcome = Stage.Outcome
Forecast = Opportunity.ForecastCategory
BOARD_ORDER = ("board_position", "id")
# Below this gap between neighbours a midpoint is no longer exact: the column is renumbered.
SMALLEST_GAP = 1e-6
STEP = 1024.0
# Cards a board column shows at first, and loads at a time after that.
CARDS_PER_PAGE = 25
SEES_NOTHING = Q(pk__in=[])  # what visible_filter gives those without a selling role


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
         lost_reason: str = "", origin: str = "") -> Opportunity:
    """Put a visible opportunity into ``stage`` before/after a card, at an index among the
    cards ``user`` sees, or at the column's end; audited as ``user`` and pushed live.

    ``origin`` names the board page that made the move; its push carries it, so that page
    does not apply the move twice.

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
        transaction.on_commit(lambda: push_move(opportunity, old_stage, user,
                                                origin=origin))
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


def column_cards(stage: Stage, user, *, after: tuple[float, int] | None = None,
                 limit: int = CARDS_PER_PAGE) -> tuple[list[Opportunity], bool]:
    """The next ``limit`` cards of a column that ``user`` sees, in board order, after the card
    at ``after`` (its board position and id; None: from the top), and whether more follow.

    Read by keyset, not offset: the (stage, board_position) index yields a page without
    reading the cards above it, however deep the column.
    """
    cards = visible_opportunities(user).filter(stage=stage).select_related("account", "owner")
    if after is not None:
        position, pk = after
        # The first condition alone is redundant, but lets the index skip the cards above.
        cards = cards.filter(Q(board_position__gte=position),
                             Q(board_position__gt=position)
                             | Q(board_position=position, pk__gt=pk))
    page = list(cards.order_by(*BOARD_ORDER)[:limit + 1])
    return page[:limit], len(page) > limit


@dataclass(frozen=True)
class BoardSnapshot:
    """What boards showed of an opportunity before an edit, and who could see it then."""

    pipeline_id: int
    stage_id: int
    owner_id: int | None
    team_id: int | None
    amount: Decimal
    viewer_ids: frozenset
    staff: tuple = field(default=(), compare=False)  # their visibility caches stay warm

    def differs_from(self, opportunity: Opportunity) -> bool:
        return (self.pipeline_id, self.stage_id, self.owner_id, self.team_id, self.amount) != (
            opportunity.pipeline_id, opportunity.stage_id, opportunity.owner_id,
            opportunity.team_id, opportunity.amount)


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


def _staff() -> list:
    """Active staff, with their roles read in one query (``roles_of`` keeps them)."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
                 .distinct().order_by("pk"))
    roles = {}
    for user_id, role in user_model.groups.through.objects.filter(
            user__in=users).values_list("user_id", "group__name"):
        roles.setdefault(user_id, set()).add(role)
    for user in users:
        user._role_codes = frozenset(roles.get(user.pk, ()))
    return users


def _viewer_ids(opportunity_pk: int, staff) -> frozenset:
    """Which of ``staff`` see the opportunity now: each one's rule of ``visible_filter``,
    evaluated on the row in a single query (nobody, once it is deleted)."""
    rules = {f"user_{user.pk}": (user, visible_filter(user)) for user in staff}
    counted = {name: Count("pk", filter=rule) for name, (_user, rule) in rules.items()
               if rule is not None and rule != SEES_NOTHING}
    flags = Opportunity.objects.filter(pk=opportunity_pk).aggregate(row=Count("pk"), **counted)
    if not flags["row"]:
        return frozenset()
    return frozenset(user.pk for name, (user, rule) in rules.items()
                     if rule is None or flags.get(name))


def viewers(opportunity: Opportunity) -> list:
    """The active staff who may see ``opportunity`` (the same rule as every list)."""
    staff = _staff()
    ids = _viewer_ids(opportunity.pk, staff)
    return [user for user in staff if user.pk in ids]


def board_snapshot(opportunity_pk: int) -> BoardSnapshot:
    """Taken before an edit saves; ``push_if_moved`` and ``push_removal`` compare with it."""
    row = Opportunity.everything.filter(pk=opportunity_pk).values(
        "pipeline_id", "stage_id", "owner_id", "team_id", "amount").get()
    staff = tuple(_staff())
    return BoardSnapshot(**row, viewer_ids=_viewer_ids(opportunity_pk, staff), staff=staff)


def amount_hidden(user) -> bool:
    """Whether the tenant hides opportunity amounts from ``user``'s roles."""
    return "amount" in hidden_fields(Opportunity, user)


def push_if_moved(opportunity: Opportunity, before: BoardSnapshot, actor) -> None:
    """After an edit (form or API) that changed where the card sits, who owns it or its
    amount, update open boards once the edit commits."""
    if before.differs_from(opportunity):
        old_stage = Stage.objects.get(pk=before.stage_id)
        transaction.on_commit(lambda: push_move(opportunity, old_stage, actor, before=before))


def push_removal(opportunity: Opportunity, before: BoardSnapshot, actor) -> None:
    """After a deletion: the card leaves every board that showed it."""
    transaction.on_commit(lambda: push_move(opportunity, Stage(pk=before.stage_id,
                                                               pipeline_id=before.pipeline_id),
                                            actor, before=before))


def push_move(opportunity: Opportunity, old_stage: Stage, actor, *,
              before: BoardSnapshot | None = None, origin: str = "") -> None:
    """Tell the boards of everyone who sees the card (the mover's other tabs too) where it
    went; those who saw it before but no longer do (reassigned, deleted) are told to drop it.

    Each message says where the card was counted (``from_pipeline``, ``from_stage``,
    ``from_amount``; null for a card new to that board) so boards adjust their column totals
    by the difference, whether or not the card was among those they had loaded.
    ``before`` is None for a move, which changes neither owner nor team nor amount.
    """
    from realtime.groups import push, user_group

    staff = list(before.staff) if before and before.staff else _staff()
    now_ids = _viewer_ids(opportunity.pk, staff)
    then_ids = before.viewer_ids if before else now_ids
    old_amount = str(before.amount if before else opportunity.amount)
    counted_in = {"from_pipeline": old_stage.pipeline_id, "from_stage": old_stage.pk,
                  "from_amount": old_amount}
    unseen = dict.fromkeys(counted_in)
    actor_pk = getattr(actor, "pk", None)
    card = {**card_data(opportunity), "actor": actor_pk}
    if origin:
        card["origin"] = origin
    removal = {"id": opportunity.pk, "removed": True, "actor": actor_pk, **counted_in}
    schema = connection.schema_name
    messages = []
    for user in staff:
        if user.pk in now_ids:
            board = {**card, **(counted_in if user.pk in then_ids else unseen)}
        elif user.pk in then_ids:
            board = removal
        else:
            continue
        if amount_hidden(user):  # their boards show no money
            board = {key: value for key, value in board.items()
                     if key not in ("amount", "from_amount")}
        messages.append((user_group(schema, user.pk), {"type": "board.move", "board": board}))
    push(messages)
