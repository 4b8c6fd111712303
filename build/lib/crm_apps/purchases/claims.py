"""Claiming a guest order: the account holder whose e-mail a guest gave gets a signed, expiring
link, and the order joins their account only when they open it signed in and confirm."""

import datetime
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context
from oscar.templatetags.currency_filters import currency

from core.tasks import AUTO_GENERATED, send_email, tenant_url
from crm_apps.purchases.models import OrderContact, PendingOrderLink

CLAIM_SALT = "purchases.order-claim"
CLAIM_MAX_AGE = datetime.timedelta(days=14)


class ClaimRefused(Exception):
    """The link cannot claim an order; ``status`` is the HTTP answer a page gives."""

    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ClaimLinkInvalid(ClaimRefused):
    status = 400


class ClaimLinkExpired(ClaimRefused):
    status = 410


class ClaimNotYours(ClaimRefused):
    status = 403


class ClaimGone(ClaimRefused):
    status = 404


def claim_token(pending: PendingOrderLink) -> str:
    """The signed token of the claim link: which tenant, order, contact and login it is for."""
    return signing.dumps({"s": connection.schema_name, "o": pending.order_id,
                          "c": pending.contact_id, "u": pending.contact.portal_user_id},
                         salt=CLAIM_SALT, compress=True)


def claim_path(token: str) -> str:
    return reverse("checkout:claim-order", args=[token])


def read_token(token: str) -> dict:
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ClaimLinkExpired(_("This link has expired. Please contact us if the order is "
                                 "yours.")) from exc
    except signing.BadSignature as exc:
        raise ClaimLinkInvalid(_("This link is not valid.")) from exc
    fields_ok = isinstance(data, dict) and all(
        isinstance(data.get(key), int) for key in ("o", "c", "u"))
    if not fields_ok or data.get("s") != connection.schema_name:
        raise ClaimLinkInvalid(_("This link is not valid."))
    return data


def access_claim(token: str, user) -> PendingOrderLink:
    """The order waiting for ``user`` to confirm it, from the link's token; raises a
    ClaimRefused saying why not."""
    data = read_token(token)
    if data["u"] != user.pk:
        raise ClaimNotYours(_("This link was sent to another account. Sign in with the "
                              "account that received the e-mail."))
    pending = (PendingOrderLink.objects.select_related("order", "contact")
               .filter(order_id=data["o"], contact_id=data["c"],
                       reason=PendingOrderLink.Reason.AWAITING_CLAIM).first())
    if pending is None:
        raise ClaimGone(_("This order is no longer waiting to be claimed."))
    if pending.contact.portal_user_id != user.pk:
        # The contact's login changed since the e-mail went out.
        raise ClaimNotYours(_("This link was sent to another account. Sign in with the "
                              "account that received the e-mail."))
    return pending


def claimed_link(token: str, user) -> OrderContact | None:
    """The link made when ``user`` already claimed the token's order (a second click)."""
    try:
        data = read_token(token)
    except ClaimRefused:
        return None
    if data["u"] != user.pk:
        return None
    return (OrderContact.objects.select_related("order")
            .filter(order_id=data["o"], contact_id=data["c"],
                    contact__portal_user_id=user.pk, how=OrderContact.How.CLAIMED).first())


def claim_order(pending: PendingOrderLink) -> OrderContact:
    """Link the waiting order to the account holder's contact, once."""
    with transaction.atomic():
        locked = (PendingOrderLink.objects.select_for_update()
                  .filter(pk=pending.pk, reason=PendingOrderLink.Reason.AWAITING_CLAIM)
                  .first())
        if locked is None:
            raise ClaimGone(_("This order is no longer waiting to be claimed."))
        link = OrderContact.objects.create(order_id=locked.order_id, contact_id=locked.contact_id,
                                           how=OrderContact.How.CLAIMED)
        locked.delete()
    return link


def send_claim_email(pending: PendingOrderLink) -> None:
    """Ask the account holder "Is this your order?", once the order is committed."""
    user = pending.contact.portal_user
    if user is None or not user.email:
        return
    order = pending.order
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {"order": order, "email": pending.email,
                   "total": currency(order.total_incl_tax, order.currency),
                   "link": tenant_url(claim_path(claim_token(pending))),
                   "days": CLAIM_MAX_AGE.days}
        message = {"to": [user.email],
                   "subject": _("Is this your order %(number)s?") % {"number": order.number},
                   "body": render_to_string("purchases/email/claim_order.txt", context),
                   "headers": AUTO_GENERATED}
    transaction.on_commit(partial(_queue, connection.schema_name, message))


def _queue(schema: str, message: dict) -> None:
    with schema_context(schema):
        send_email.delay(**message)
