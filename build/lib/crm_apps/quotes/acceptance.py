"""A customer's answer to a quote: accepting makes exactly one Oscar order (however often the
button is pressed) and wins the opportunity; declining records the reason."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from core.audit import current_actor
from core.roles import PORTAL_CUSTOMER, TENANT_ADMIN
from core.zones import tenant_zone_active
from crm_apps.customers.visibility import visible
from crm_apps.quotes import notifications, totals
from crm_apps.quotes.errors import QuoteError, state_error
from crm_apps.quotes.models import Quote
from crm_apps.sales import pipeline_services
from crm_apps.sales.models import Opportunity, Stage
from realtime.services import notify

HUNDRED = Decimal("100")


def is_expired(quote: Quote) -> bool:
    """Past its "valid until" day, counted in the tenant's time zone."""
    if quote.valid_until is None:
        return False
    with tenant_zone_active():
        return quote.valid_until < timezone.localdate()


def check_answerable(quote: Quote) -> None:
    """Raise QuoteStateError unless ``quote`` is the sent version still waiting for an
    answer."""
    if quote.status == Quote.Status.SENT and is_expired(quote):
        raise state_error("expired")
    if quote.status != Quote.Status.SENT:
        raise state_error(quote.status)


def _locked(quote_id_or_token) -> Quote:
    """The quote row, locked until the transaction ends: a second click waits here and then
    sees the first one's answer. Raises Quote.DoesNotExist."""
    if isinstance(quote_id_or_token, Quote):
        quote_id_or_token = quote_id_or_token.pk
    lookup = ({"pk": quote_id_or_token} if isinstance(quote_id_or_token, int)
              else {"access_token": str(quote_id_or_token)})
    return Quote.objects.select_for_update().get(**lookup)


def _signer(by_name: str) -> str:
    name = (by_name or "").strip()
    if not name:
        raise QuoteError("signer", _("Type your name to accept the quote."))
    return name[:200]


def accept_quote(quote_id_or_token, by_name: str):
    """Accept the quote (by id or access token) in the name of ``by_name`` and return its
    Oscar order. Accepting an accepted quote returns the same order.

    Raises Quote.DoesNotExist, QuoteStateError (draft, superseded, expired, declined) or
    QuoteError when no name is given.
    """
    name = _signer(by_name)
    with transaction.atomic():
        quote = _locked(quote_id_or_token)
        if quote.status == Quote.Status.ACCEPTED and quote.order_id:
            return quote.order
        check_answerable(quote)
        totals.recompute(quote)  # the order carries exactly the lines' sums
        order = _create_order(quote, name)
        quote.status = Quote.Status.ACCEPTED
        quote.order = order
        quote.responded_at = timezone.now()
        quote.responded_by = name
        quote.save(update_fields=["status", "order", "responded_at", "responded_by",
                                  "updated"])
        _win_opportunity(quote)
        _tell_owner(quote, format_lazy(_("{name} accepted quote {number}"), name=name,
                                       number=quote.label),
                    format_lazy(_("Order {order} was created."), order=order.number))
    return order


def decline_quote(quote_id_or_token, by_name: str = "", reason: str = "") -> Quote:
    """Decline the quote with an optional reason. Declining twice keeps the first answer.

    Raises Quote.DoesNotExist or QuoteStateError.
    """
    with transaction.atomic():
        quote = _locked(quote_id_or_token)
        if quote.status == Quote.Status.DECLINED:
            return quote
        check_answerable(quote)
        quote.status = Quote.Status.DECLINED
        quote.responded_at = timezone.now()
        quote.responded_by = (by_name or "").strip()[:200]
        quote.decline_reason = (reason or "").strip()[:500]
        quote.save(update_fields=["status", "responded_at", "responded_by", "decline_reason",
                                  "updated"])
        _tell_owner(quote, format_lazy(_("Quote {number} was declined"), number=quote.label),
                    quote.decline_reason)
    return quote


def portal_user_for(contact):
    """The contact's active portal login: the linked one, else an unlinked one by e-mail."""
    if contact is None:
        return None
    if contact.portal_user_id:
        return contact.portal_user if contact.portal_user.is_active else None
    if not contact.email:
        return None
    # Never another contact's login that happens to share the e-mail.
    return (get_user_model().objects.filter(email__iexact=contact.email, is_active=True,
                                            groups__name=PORTAL_CUSTOMER,
                                            portal_contact__isnull=True)
            .order_by("pk").first())


def _create_order(quote: Quote, signer: str):
    """One Oscar order with the quote's lines and totals, numbered after the quote."""
    order_model = get_model("order", "Order")
    customer = portal_user_for(quote.contact)
    net_total = quote.total - quote.tax_total
    order = order_model.objects.create(
        number=quote.number, site=Site.objects.filter(pk=settings.SITE_ID).first(),
        user=customer, guest_email="" if customer else getattr(quote.contact, "email", ""),
        currency=quote.currency, total_incl_tax=quote.total, total_excl_tax=net_total,
        status=settings.OSCAR_INITIAL_ORDER_STATUS,
        date_placed=timezone.now())
    for line in quote.lines.select_related("product__product_class", "product__parent"):
        _create_order_line(order, line)
    get_model("order", "OrderNote").objects.create(
        order=order, note_type="System",
        message=f"{quote.label}: {quote.title} · {signer}"[:1000])
    return order


def _create_order_line(order, line) -> None:
    line_model = get_model("order", "Line")
    product = line.product
    stockrecord = (product.stockrecords.select_related("partner").order_by("pk").first()
                   if product is not None else None)
    rate = (HUNDRED + line.tax_rate) / HUNDRED
    gross = totals.money(line.quantity * line.unit_price)
    whole = line.quantity == line.quantity.to_integral_value()
    # Oscar counts whole items; a fractional quantity (1.5 days) becomes one line item
    # priced at the line's amount, the quantity kept in the title.
    quantity = int(line.quantity) if whole else 1
    title = line.description if whole else f"{line.description} ({line.quantity.normalize():f})"
    line_model.objects.create(
        order=order, partner=stockrecord.partner if stockrecord else None,
        partner_name=stockrecord.partner.name if stockrecord else "",
        partner_sku=line.sku or (stockrecord.partner_sku if stockrecord else ""),
        stockrecord=stockrecord, product=product, title=title[:255],
        upc=product.upc if product is not None else None, quantity=quantity,
        line_price_excl_tax=line.net_amount, line_price_incl_tax=line.total_amount,
        line_price_before_discounts_excl_tax=gross,
        line_price_before_discounts_incl_tax=totals.money(gross * rate),
        unit_price_excl_tax=line.unit_price if whole else line.net_amount,
        unit_price_incl_tax=(totals.money(line.unit_price * rate) if whole
                             else line.total_amount),
        tax_code=f"{line.tax_rate.normalize():f}%", num_allocated=quantity,
        status=settings.OSCAR_INITIAL_LINE_STATUS)
    # As Oscar's checkout does: stock-tracked products hold the ordered items.
    if stockrecord is not None and product.get_product_class().track_stock:
        stockrecord.allocate(quantity)


def _win_opportunity(quote: Quote) -> None:
    """Move the quote's opportunity to its pipeline's first won stage through the board's
    move service, so the change is audited and colleagues' boards follow live."""
    opportunity = (Opportunity.objects.filter(pk=quote.opportunity_id)
                   .select_related("stage", "pipeline").first())
    if opportunity is None or opportunity.stage.outcome == Stage.Outcome.WON:
        return
    won = (opportunity.pipeline.stages.filter(outcome=Stage.Outcome.WON)
           .order_by("position", "id").first())
    if won is None:
        return
    mover = _mover(quote, opportunity)
    if mover is None:
        return
    pipeline_services.move(opportunity, won, user=mover)


def _mover(quote: Quote, opportunity: Opportunity):
    """Whom the move is recorded as: the customer has no staff account, so the deal's own
    people (the quote's owner, then the opportunity's), else a tenant admin. The quote's own
    history names the signer."""
    candidates = [quote.owner, opportunity.owner, current_actor()]
    for user in candidates:
        if (user is not None and user.is_active and visible(
                Opportunity.objects.filter(pk=opportunity.pk), user).exists()):
            return user
    return (get_user_model().objects.filter(is_active=True, groups__name=TENANT_ADMIN)
            .order_by("pk").first())


def _tell_owner(quote: Quote, title, body) -> None:
    if quote.owner_id is None:
        return
    notify([quote.owner], kind=notifications.ANSWERED.code, title=title, body=body,
           link=f"/app/quotes/{quote.pk}/")
