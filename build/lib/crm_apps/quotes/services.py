"""Quote operations: drafts prefilled from an opportunity, lines from the catalogue or typed by
hand, new versions, deletion, and expiry of sent quotes past their date."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_class

from crm_apps.quotes.models import Quote, QuoteLine
from crm_apps.quotes.totals import recompute

Status = Quote.Status
EDITABLE = {Status.DRAFT}
# Declined and expired quotes may be revised into a new offer; an accepted one is an order.
REVISABLE = {Status.DRAFT, Status.SENT, Status.DECLINED, Status.EXPIRED}
# Revising these takes them out of play (a sent link can no longer be accepted); declined and
# expired versions keep their status, which records what happened to them.
SUPERSEDED_BY_REVISION = {Status.DRAFT, Status.SENT}
LINE_FIELDS = ("product", "sku", "description", "quantity", "unit_price", "discount_percent",
               "tax_rate")
COPIED_FIELDS = ("title", "opportunity_id", "account_id", "contact_id", "currency", "language",
                 "valid_until", "discount_percent", "terms", "owner_id", "team_id")


class QuoteError(Exception):
    """An operation the quote's state does not allow (the message says why)."""


class NotEditable(QuoteError):
    """Only a draft's fields and lines change."""


class LineError(QuoteError):
    """A line that cannot be completed; ``field`` names the input at fault."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CataloguePrice:
    """What a quote line takes from a catalogue product; price is None when it has none."""

    title: str
    sku: str
    price: Decimal | None
    currency: str


def catalogue_price(product) -> CataloguePrice:
    """The product's title, SKU and price (excluding tax) as the store would sell it: the
    store's pricing strategy first, else the first stock record that has a price."""
    strategy = get_class("partner.strategy", "Selector")().strategy()
    info = strategy.fetch_for_product(product)
    stockrecord = info.stockrecord
    price, currency = None, settings.OSCAR_DEFAULT_CURRENCY
    if info.price.exists:
        price, currency = info.price.excl_tax, info.price.currency
    else:
        priced = [record for record in product.stockrecords.all() if record.price is not None]
        if priced:
            stockrecord = priced[0]
            price, currency = stockrecord.price, stockrecord.price_currency
    if stockrecord is None:
        stockrecord = next(iter(product.stockrecords.all()), None)
    sku = stockrecord.partner_sku if stockrecord is not None else (product.upc or "")
    return CataloguePrice(title=product.get_title(), sku=sku, price=price,
                          currency=currency or settings.OSCAR_DEFAULT_CURRENCY)


def complete_line(values: dict, *, currency: str) -> dict:
    """A line's values with what was left out taken from its product: the description from the
    title, the SKU, and the unit price (only when the catalogue's currency is the quote's)."""
    values = dict(values)
    product = values.get("product")
    if product is None:
        if not (values.get("description") or "").strip():
            raise LineError("description", _("Describe the line or choose a product."))
        return values
    listed = catalogue_price(product)
    if not (values.get("description") or "").strip():
        values["description"] = listed.title[:500]
    if not values.get("sku"):
        values["sku"] = listed.sku[:128]
    if values.get("unit_price") is None:
        if listed.price is None:
            raise LineError("unit_price", _("This product has no price in the catalogue; "
                                            "give a unit price."))
        if listed.currency != currency:
            raise LineError("unit_price", _(
                "The catalogue price is in %(catalogue)s, the quote in %(quote)s; give a unit "
                "price.") % {"catalogue": listed.currency, "quote": currency})
        values["unit_price"] = listed.price
    return values


def defaults_from_opportunity(opportunity) -> dict:
    """What a quote made from ``opportunity`` starts with."""
    return {"opportunity": opportunity, "title": opportunity.name[:200],
            "account": opportunity.account, "contact": opportunity.contact,
            "currency": opportunity.currency, "owner": opportunity.owner,
            "team": opportunity.team}


def ensure_editable(quote: Quote) -> None:
    if quote.status not in EDITABLE:
        raise NotEditable(_("Only a draft can be changed; make a new version instead."))


def _write_lines(quote: Quote, lines) -> None:
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, position=position,
                  **{name: values[name] for name in LINE_FIELDS if name in values})
        for position, values in enumerate(lines))


def create_quote(*, acting_user, lines=(), **fields) -> Quote:
    """A draft quote with its lines (completed from the catalogue) and totals. Fields left out
    come from the opportunity when one is given; the creator owns it otherwise."""
    opportunity = fields.get("opportunity")
    if opportunity is not None:
        for name, value in defaults_from_opportunity(opportunity).items():
            if fields.get(name) in (None, ""):
                fields[name] = value
    if fields.get("owner") is None:
        fields["owner"] = acting_user
    fields = {name: value for name, value in fields.items() if value is not None}
    with transaction.atomic():
        quote = Quote.objects.create(status=Status.DRAFT, **fields)
        _write_lines(quote, [complete_line(line, currency=quote.currency) for line in lines])
        recompute(quote)
    return quote


def lock_draft(quote: Quote) -> Quote:
    """The quote's row, locked for the rest of the transaction; NotEditable unless a draft."""
    current = Quote.objects.select_for_update().filter(pk=quote.pk).first()
    if current is None:
        raise QuoteError(_("This quote is in the bin."))
    ensure_editable(current)
    return current


def update_quote(quote: Quote, *, lines=None, **fields) -> Quote:
    """Change a draft's fields and, when ``lines`` is given, replace its lines."""
    with transaction.atomic():
        lock_draft(quote)
        for name, value in fields.items():
            setattr(quote, name, value)
        quote.save()
        if lines is not None:
            completed = [complete_line(line, currency=quote.currency) for line in lines]
            quote.lines.all().delete()
            _write_lines(quote, completed)
        recompute(quote)
    return quote


def add_line(quote: Quote, **values) -> QuoteLine:
    """Append a line to a draft: a catalogue product at its price (``product=``, the price
    overridable with ``unit_price=``) or a free line (``description=``, ``unit_price=``)."""
    with transaction.atomic():
        lock_draft(quote)
        values = complete_line(values, currency=quote.currency)
        last = quote.lines.aggregate(last=Max("position"))["last"]
        line = QuoteLine.objects.create(
            quote=quote, position=0 if last is None else last + 1,
            **{name: values[name] for name in LINE_FIELDS if name in values})
        recompute(quote)
    line.refresh_from_db()
    return line


def versions_of(quote: Quote):
    """Every live version sharing the quote's number, oldest first."""
    return Quote.objects.filter(number=quote.number).order_by("version")


def new_version(quote: Quote, *, acting_user=None) -> Quote:
    """Version N+1 of the newest version ``quote``: a draft with the same fields and lines.
    A draft or sent ``quote`` becomes superseded; accepted quotes and old versions are final."""
    with transaction.atomic():
        # Lock every version of this number, so two revisions at once make one new version.
        family = list(Quote.everything.select_for_update().filter(number=quote.number)
                      .order_by("version"))
        current = next((row for row in family if row.pk == quote.pk), None)
        if current is None or current.deleted_at is not None:
            raise QuoteError(_("This quote is in the bin."))
        newer = [row for row in family if row.previous_id == current.pk]
        if any(row.deleted_at is None for row in newer):
            raise QuoteError(_("This version already has a newer one."))
        # Superseded with no live successor: its next version went to the bin, so this one
        # is the newest again.
        if current.status not in REVISABLE | {Status.SUPERSEDED}:
            raise QuoteError(_("An accepted quote cannot be revised."))
        if newer:  # the binned successor gives up its link (one next version per version)
            Quote.everything.filter(pk__in=[row.pk for row in newer]).update(previous=None)
        following = Quote.objects.create(
            number=current.number, version=max(row.version for row in family) + 1,
            previous=current, status=Status.DRAFT,
            **{name: getattr(current, name) for name in COPIED_FIELDS})
        if acting_user is not None and following.owner_id is None:
            following.owner = acting_user
            following.save(update_fields=["owner"])
        _write_lines(following, [{name: getattr(line, name) for name in LINE_FIELDS}
                                 for line in current.lines.all()])
        recompute(following)
        if current.status in SUPERSEDED_BY_REVISION:
            current.status = Status.SUPERSEDED
            current.save(update_fields=["status", "updated"])
    quote.status = current.status
    return following


def delete_quote(quote: Quote) -> None:
    """Move the quote to the bin; an accepted quote stays, as the record of its order."""
    if quote.status == Status.ACCEPTED:
        raise QuoteError(_("An accepted quote cannot be deleted."))
    quote.soft_delete()


def expire_quotes(today: datetime.date | None = None) -> int:
    """Sent quotes past their ``valid_until`` (in the tenant's zone) become expired."""
    today = today or timezone.localdate()
    expired = 0
    due = list(Quote.objects.filter(status=Status.SENT, valid_until__lt=today)
               .values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            quote = (Quote.objects.select_for_update(skip_locked=True)
                     .filter(pk=pk, status=Status.SENT, valid_until__lt=today).first())
            if quote is None:  # answered meanwhile, or another run has it
                continue
            quote.status = Status.EXPIRED
            quote.save(update_fields=["status", "updated"])
            expired += 1
    return expired
