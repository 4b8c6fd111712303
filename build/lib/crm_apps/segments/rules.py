"""Segment rules: what each {"field", "op", "value"} may say, strict validation, and the Q on
Contact each one stands for.

Every Q is a subquery on the contact's id (or account), so combining rules never multiplies
rows, and ``~Q`` of a rule is the exact complement among live contacts.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account, Contact, CustomerClass, Tag
from crm_apps.service.models import Ticket
from crm_apps.service.queues import ACTIVE_STATUSES

MAX_RULES = 20
MAX_DAYS = 36_500
MAX_MONEY = Decimal("99999999999999.99")

OPERATORS = {
    "has": _("has"),
    "has_not": _("has not"),
    "is": _("is"),
    "is_not": _("is not"),
    "in": _("is one of"),
    "gte": _("at least"),
    "lte": _("at most"),
    "eq": _("equals"),
    "between": _("between"),
    "within_days": _("within the last N days"),
    "before": _("before the date"),
    "never": _("never"),
    "active": _("has an active one"),
    "expiring_within_days": _("expiring within N days"),
    "none": _("none"),
}


@dataclass(frozen=True)
class Field:
    label: object
    # op -> kind of value it takes (see _VALUE_CLEANERS); "none" takes no value.
    ops: dict


FIELDS = {
    "tag": Field(_("Tag"), {"has": "tag", "has_not": "tag"}),
    "customer_class": Field(_("Customer class"), {"has": "class", "has_not": "class"}),
    "lifecycle_stage": Field(_("Lifecycle stage"),
                             {"is": "stage", "is_not": "stage", "in": "stages"}),
    "lifetime_value": Field(_("Lifetime value"),
                            {"gte": "money", "lte": "money", "between": "money_range"}),
    "last_order": Field(_("Last order"),
                        {"within_days": "days", "before": "date", "never": "none"}),
    "rfm_total": Field(_("RFM score (3–15)"), {"gte": "rfm_total", "lte": "rfm_total",
                                                "eq": "rfm_total"}),
    "rfm_recency": Field(_("RFM recency (1–5)"), {"gte": "rfm_part", "lte": "rfm_part",
                                                  "eq": "rfm_part"}),
    "rfm_frequency": Field(_("RFM frequency (1–5)"), {"gte": "rfm_part", "lte": "rfm_part",
                                                      "eq": "rfm_part"}),
    "rfm_monetary": Field(_("RFM monetary (1–5)"), {"gte": "rfm_part", "lte": "rfm_part",
                                                    "eq": "rfm_part"}),
    "open_tickets": Field(_("Open tickets"), {"gte": "count", "none": "none"}),
    "contract": Field(_("Contract"), {"active": "none", "expiring_within_days": "days",
                                      "none": "none"}),
}

# What the rule builder shows beside the value box, per kind of value.
VALUE_HINTS = {
    "tag": _("a tag name"),
    "class": _("a customer class name"),
    "stage": _("a lifecycle stage code"),
    "stages": _("stage codes, separated by commas"),
    "money": _("an amount"),
    "money_range": _("two amounts, separated by a comma"),
    "days": _("a number of days"),
    "date": _("a date (YYYY-MM-DD)"),
    "none": _("leave empty"),
    "count": _("a number, at least 1"),
    "rfm_total": _("a score from 3 to 15"),
    "rfm_part": _("a score from 1 to 5"),
}


def _integer(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("Enter a whole number."), code="invalid")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("Enter a whole number."), code="invalid") from None
    if not low <= number <= high:
        raise ValidationError(_("Enter a number from %(low)s to %(high)s.") % {
            "low": low, "high": high}, code="invalid")
    return number


def _money(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError(_("Enter an amount."), code="invalid")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter an amount."), code="invalid") from None
    if not amount.is_finite() or not Decimal(0) <= amount <= MAX_MONEY:
        raise ValidationError(_("Enter an amount of zero or more."), code="invalid")
    return str(amount.quantize(Decimal("0.01")))


def _money_range(value) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationError(_("Enter two amounts: the lowest and the highest."),
                              code="invalid")
    low, high = _money(value[0]), _money(value[1])
    if Decimal(low) > Decimal(high):
        raise ValidationError(_("The first amount must not be above the second."),
                              code="invalid")
    return [low, high]


def _date(value) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid")
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid") from None


def _name(value, model, message, check_names: bool = True) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(message, code="invalid")
    if not check_names:
        return value.strip()
    found = model.objects.filter(name__iexact=value.strip()).values_list("name", flat=True)
    if not found:
        raise ValidationError(message, code="invalid")
    return found[0]


def _stage(value) -> str:
    if not isinstance(value, str) or value.strip() not in Contact.Stage.values:
        raise ValidationError(_("Choose one of: %(stages)s.") % {
            "stages": ", ".join(Contact.Stage.values)}, code="invalid")
    return value.strip()


def _stages(value) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError(_("Enter one or more lifecycle stages."), code="invalid")
    return sorted({_stage(item) for item in value})


def _nothing(value) -> None:
    if value not in (None, "", []):
        raise ValidationError(_("This operator takes no value."), code="invalid")


_VALUE_CLEANERS = {
    "tag": lambda value, check: _name(value, Tag, _("Enter the name of an existing tag."),
                                      check),
    "class": lambda value, check: _name(
        value, CustomerClass, _("Enter the name of an existing customer class."), check),
    "stage": _stage,
    "stages": _stages,
    "money": _money,
    "money_range": _money_range,
    "days": lambda value: _integer(value, 1, MAX_DAYS),
    "date": _date,
    "none": _nothing,
    "count": lambda value: _integer(value, 1, 100_000),
    "rfm_total": lambda value: _integer(value, 3, 15),
    "rfm_part": lambda value: _integer(value, 1, 5),
}


def value_kind(field: str, op: str) -> str | None:
    spec = FIELDS.get(field)
    return spec.ops.get(op) if spec else None


def value_from_text(field: str, op: str, text: str):
    """The raw value of a rule typed into a form box: lists are comma-separated."""
    text = (text or "").strip()
    if value_kind(field, op) in ("stages", "money_range"):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def value_as_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def clean_rule(rule, *, check_names: bool = True) -> dict:
    """The rule normalised ({"field", "op", "value"} with JSON-safe values), or a
    ValidationError saying what is wrong. ``check_names=False`` accepts a tag or class that
    no longer exists (a saved rule whose tag was deleted simply matches no one)."""
    if not isinstance(rule, dict):
        raise ValidationError(_("Each rule must be an object with field, op and value."),
                              code="invalid")
    unknown = set(rule) - {"field", "op", "value"}
    if unknown:
        raise ValidationError(_("Unknown keys in a rule: %(keys)s.") % {
            "keys": ", ".join(sorted(map(str, unknown)))}, code="invalid")
    field, op = rule.get("field"), rule.get("op")
    if not isinstance(field, str) or field not in FIELDS:
        raise ValidationError(_("Unknown rule field: %(field)s.") % {"field": field},
                              code="invalid")
    kind = FIELDS[field].ops.get(op) if isinstance(op, str) else None
    if kind is None:
        raise ValidationError(_("The operator %(op)s does not apply to %(field)s.") % {
            "op": op, "field": field}, code="invalid")
    cleaner = _VALUE_CLEANERS[kind]
    if kind in ("tag", "class"):
        value = cleaner(rule.get("value"), check_names)
    else:
        value = cleaner(rule.get("value"))
    return {"field": field, "op": op, "value": value}


def clean_rules(rules, *, check_names: bool = True) -> list[dict]:
    """A segment's whole rule list, each rule cleaned; at least one, at most MAX_RULES."""
    if not isinstance(rules, list) or not rules:
        raise ValidationError(_("Add at least one rule."), code="required")
    if len(rules) > MAX_RULES:
        raise ValidationError(_("A segment has at most %(count)s rules.") % {
            "count": MAX_RULES}, code="invalid")
    cleaned, errors = [], []
    for position, rule in enumerate(rules, start=1):
        try:
            cleaned.append(clean_rule(rule, check_names=check_names))
        except ValidationError as error:
            errors.extend(_("Rule %(number)s: %(error)s") % {"number": position,
                                                              "error": message}
                          for message in error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- rules as Q objects on Contact -------------------------------------------------------

def _ids(queryset, column: str = "contact_id"):
    """A subquery of non-null ids: NOT IN over a list holding NULL would match nothing."""
    return queryset.filter(**{f"{column}__isnull": False}).values(column)


def _tag_q(op, value):
    tagged = _ids(Contact.tags.through.objects.filter(tag__name=value))
    return Q(pk__in=tagged) if op == "has" else ~Q(pk__in=tagged)


def _class_q(op, value):
    own = _ids(Contact.classes.through.objects.filter(customerclass__name=value))
    accounts = _ids(Account.classes.through.objects.filter(customerclass__name=value),
                    "account_id")
    has = Q(pk__in=own) | Q(account_id__in=accounts)
    return has if op == "has" else ~has


def _stage_q(op, value):
    if op == "in":
        return Q(lifecycle_stage__in=value)
    return Q(lifecycle_stage=value) if op == "is" else ~Q(lifecycle_stage=value)


def _money_q(op, value):
    if op == "between":
        low, high = (Decimal(item) for item in value)
    else:
        low = Decimal(value) if op == "gte" else None
        high = Decimal(value) if op == "lte" else None
    matched = Q()
    if low is not None:
        matched &= Q(metrics__lifetime_value__gte=low)
    if high is not None:
        matched &= Q(metrics__lifetime_value__lte=high)
    if low is None or low <= 0:
        # A contact not yet measured has spent nothing.
        matched |= Q(metrics__isnull=True)
    return matched


def _last_order_q(op, value):
    if op == "within_days":
        return Q(metrics__last_order_at__gte=timezone.now() - datetime.timedelta(days=value))
    if op == "before":
        start = datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time(),
                                          tzinfo=timezone.get_current_timezone())
        return Q(metrics__last_order_at__lt=start)
    return Q(metrics__isnull=True) | Q(metrics__order_count=0)


_RFM_COLUMNS = {"rfm_total": "rfm_total", "rfm_recency": "rfm_r", "rfm_frequency": "rfm_f",
                "rfm_monetary": "rfm_m"}


def _rfm_q(field, op, value):
    lookup = {"gte": "gte", "lte": "lte", "eq": "exact"}[op]
    return Q(**{f"metrics__{_RFM_COLUMNS[field]}__{lookup}": value})


def _tickets_q(op, value):
    open_tickets = Ticket.objects.filter(status__in=ACTIVE_STATUSES, deleted_at__isnull=True,
                                         merged_into__isnull=True)
    if op == "none":
        return ~Q(pk__in=_ids(open_tickets))
    counted = (open_tickets.filter(contact__isnull=False).values("contact_id")
               .annotate(open_count=Count("id")).filter(open_count__gte=value)
               .values("contact_id"))
    return Q(pk__in=counted)


def _contract_q(op, value):
    today = timezone.localdate()
    live = Contract.objects.filter(status=Contract.Status.ACTIVE, deleted_at__isnull=True,
                                   end__gte=today)
    if op == "expiring_within_days":
        live = live.filter(end__lte=today + datetime.timedelta(days=value))
    has = Q(account_id__in=_ids(live, "account_id")) | Q(pk__in=_ids(live))
    return ~has if op == "none" else has


def rule_q(rule: dict) -> Q:
    """The Q on Contact of one cleaned rule."""
    field, op, value = rule["field"], rule["op"], rule.get("value")
    if field == "tag":
        return _tag_q(op, value)
    if field == "customer_class":
        return _class_q(op, value)
    if field == "lifecycle_stage":
        return _stage_q(op, value)
    if field == "lifetime_value":
        return _money_q(op, value)
    if field == "last_order":
        return _last_order_q(op, value)
    if field in _RFM_COLUMNS:
        return _rfm_q(field, op, value)
    if field == "open_tickets":
        return _tickets_q(op, value)
    if field == "contract":
        return _contract_q(op, value)
    raise ValidationError(_("Unknown rule field: %(field)s.") % {"field": field})


def matching_contacts(rules: list[dict], match: str):
    """Live contacts matching the rules: all of them (``match == "all"``) or any."""
    combined = None
    for rule in rules:
        condition = rule_q(rule)
        if combined is None:
            combined = condition
        else:
            combined = combined | condition if match == "any" else combined & condition
    live = Contact.objects.filter(deleted_at__isnull=True)
    return live.filter(combined) if combined is not None else live.none()
