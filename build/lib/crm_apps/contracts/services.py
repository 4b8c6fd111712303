"""Renewing contracts: the next term (by hand or automatically), reminders before the end, and
expiry. Every step locks the contract row, so runs at the same time never act twice."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import DateField, ExpressionWrapper, F, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.activities.models import Activity
from crm_apps.contracts.models import Contract
from crm_apps.contracts.notifications import RENEWAL_DUE
from realtime.services import notify

Status = Contract.Status
RENEWABLE = {Status.ACTIVE, Status.EXPIRED}
BATCH = 200


class RenewalError(Exception):
    """A contract that cannot be renewed (the message says why)."""


class AlreadyRenewed(RenewalError):
    """The contract already has its next term."""


def link_of(contract: Contract) -> str:
    return reverse("contracts:detail", args=[contract.pk])


def _whole_months(start: datetime.date, end: datetime.date) -> int | None:
    """The number of whole months from ``start`` to ``end`` (inclusive), if it is one."""
    delta = relativedelta(end + datetime.timedelta(days=1), start)
    months = delta.years * 12 + delta.months
    if months and delta.days == 0:
        return months
    return None


def next_term_dates(contract: Contract) -> tuple[datetime.date, datetime.date]:
    """The next term's start and end: right after this one, as long as this one (in whole
    months when this one is, so a calendar year follows a calendar year)."""
    start = contract.end + datetime.timedelta(days=1)
    months = _whole_months(contract.start, contract.end)
    if months:
        return start, start + relativedelta(months=months) - datetime.timedelta(days=1)
    return start, start + datetime.timedelta(days=contract.term_days)


def renew(contract: Contract) -> Contract:
    """Create the next term of ``contract`` (active, same length and value) and mark this one
    renewed. Raises AlreadyRenewed if it has a next term, RenewalError if it cannot renew."""
    with transaction.atomic():
        current = Contract.objects.select_for_update().filter(pk=contract.pk).first()
        if current is None:
            raise RenewalError(_("This contract is in the bin."))
        if (current.status == Status.RENEWED
                or Contract.objects.filter(previous=current).exists()):
            raise AlreadyRenewed(_("This contract has already been renewed."))
        if current.status not in RENEWABLE:
            raise RenewalError(_("Only active or expired contracts can be renewed."))
        start, end = next_term_dates(current)
        try:
            with transaction.atomic():
                following = Contract.objects.create(
                    name=current.name, account_id=current.account_id,
                    contact_id=current.contact_id, start=start, end=end, value=current.value,
                    currency=current.currency, billing_period=current.billing_period,
                    auto_renew=current.auto_renew,
                    renewal_notice_days=current.renewal_notice_days, status=Status.ACTIVE,
                    previous=current, owner_id=current.owner_id, team_id=current.team_id)
        except IntegrityError:  # a next term made outside this lock (the constraint holds)
            raise AlreadyRenewed(_("This contract has already been renewed.")) from None
        current.status = Status.RENEWED
        current.save(update_fields=["status", "updated"])
    contract.status = current.status
    return following


def notice_start():
    """The first day of a contract's renewal notice window, as a database expression."""
    return ExpressionWrapper(F("end") - F("renewal_notice_days"), output_field=DateField())


def renewal_due(today: datetime.date):
    """Active contracts inside their notice window (from ``renewal_notice_days`` before the
    end up to the end) that have not been reminded in this term."""
    return (Contract.objects.annotate(notice_from=notice_start())
            .filter(status=Status.ACTIVE, renewal_reminded_at__isnull=True, end__gte=today,
                    notice_from__lte=Value(today, output_field=DateField())))


def _due_moment(contract: Contract) -> datetime.datetime:
    """The renewal task is due at the start of the notice window, 9:00 in the tenant's zone."""
    day = contract.end - datetime.timedelta(days=contract.renewal_notice_days)
    return datetime.datetime.combine(day, datetime.time(9, 0),
                                     tzinfo=timezone.get_current_timezone())


def _remind(contract: Contract) -> Activity:
    title = format_lazy(_("Renew contract {number} {name}"), number=contract.number,
                        name=contract.name)
    body = format_lazy(_("The contract ends on {end}."), end=contract.end.isoformat())
    task = Activity.objects.create(
        kind=Activity.Kind.TASK, subject=str(title)[:200], body=str(body),
        account_id=contract.account_id, contact_id=contract.contact_id,
        owner_id=contract.owner_id, assignee_id=contract.owner_id, due=_due_moment(contract),
        priority=Activity.Priority.HIGH)
    if contract.owner_id:
        notify([contract.owner_id], kind=RENEWAL_DUE.code, title=title, body=body,
               link=link_of(contract))
    return task


def send_renewal_reminders(today: datetime.date | None = None) -> int:
    """One renewal task and one notification per contract term in its notice window. Rows are
    claimed with SKIP LOCKED and marked in the same transaction, so they are made once."""
    today = today or timezone.localdate()
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(renewal_due(today).select_for_update(skip_locked=True, of=("self",))
                         .order_by("end", "id")[:BATCH])
            if not batch:
                return sent
            for contract in batch:
                task = _remind(contract)
                # Machinery of the reminder, not a change to the contract: not audited.
                Contract.objects.filter(pk=contract.pk).update(
                    renewal_reminded_at=timezone.now(), renewal_task=task)
                sent += 1


def close_ended(today: datetime.date | None = None) -> dict[str, int]:
    """Active contracts past their end: renewed when they renew automatically, else expired."""
    today = today or timezone.localdate()
    done = {"renewed": 0, "expired": 0}
    ended = list(Contract.objects.filter(status=Status.ACTIVE, end__lt=today)
                 .order_by("end", "id").values_list("pk", flat=True))
    for pk in ended:
        with transaction.atomic():
            contract = (Contract.objects.select_for_update(skip_locked=True)
                        .filter(pk=pk, status=Status.ACTIVE, end__lt=today).first())
            if contract is None:  # another run has it, or it changed meanwhile
                continue
            if contract.auto_renew:
                try:
                    renew(contract)
                except AlreadyRenewed:
                    Contract.objects.filter(pk=pk).update(status=Status.RENEWED)
                done["renewed"] += 1
            else:
                contract.status = Status.EXPIRED
                contract.save(update_fields=["status", "updated"])
                done["expired"] += 1
    return done
