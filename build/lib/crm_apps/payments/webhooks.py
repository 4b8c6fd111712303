"""Stripe's webhook endpoints, /webhooks/stripe/ on each tenant host and, for Stripe Connect,
on the public host: the signature is checked over the raw body with the tenant's signing
secret (Connect: the platform's) before anything else, and the event is applied in a tenant's
schema only if it belongs there (Connect: the public ConnectedAccount table says whose)."""

import json
import logging

import stripe
from django.conf import settings
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from crm_apps.payments.events import apply_event
from crm_apps.payments.models import StripeAccountSettings

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300


class BadEvent(Exception):
    """Unsigned, wrongly signed, stale or malformed: answered 400 and never looked at."""


def verified_event(body: bytes, header: str, secret: str) -> dict:
    """The event as a dict, once Stripe's library has verified the signature and its age."""
    if not secret:
        raise BadEvent("no signing secret")
    try:
        stripe.Webhook.construct_event(body, header, secret, tolerance=TOLERANCE_SECONDS)
        event = json.loads(body)
    except stripe.SignatureVerificationError as error:
        raise BadEvent("signature") from error
    except (ValueError, AttributeError, TypeError) as error:
        # Not UTF-8, not JSON, or JSON that is not an object (the library fails on a list
        # with AttributeError): malformed, whoever signed it.
        raise BadEvent("malformed") from error
    data = event.get("data") if isinstance(event, dict) else None
    if not (isinstance(data, dict) and isinstance(data.get("object"), dict)
            and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)):
        raise BadEvent("malformed")
    return event


def belongs_here(account: str, stripe_settings: StripeAccountSettings) -> bool:
    """Whether an event (``account``: the connected account it carries, or "") is this
    tenant's: a Connect tenant's events carry its account, routed to it by the public table."""
    from tenants.models import ConnectedAccount

    if stripe_settings.mode != StripeAccountSettings.Mode.CONNECT:
        return not account
    return bool(account) and ConnectedAccount.objects.filter(
        account_id=account, tenant_id=connection.tenant.pk).exists()


@csrf_exempt
@require_POST
def receive(request):
    stripe_settings = StripeAccountSettings.current()
    if stripe_settings.mode == StripeAccountSettings.Mode.CONNECT:
        secret = settings.STRIPE_WEBHOOK_SECRET
    else:
        secret = stripe_settings.webhook_secret
    try:
        event = verified_event(request.body, request.headers.get("Stripe-Signature", ""),
                               secret)
    except BadEvent as error:
        logger.warning("Stripe webhook refused on %s: %s", connection.schema_name, error)
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    account = event.get("account") if isinstance(event.get("account"), str) else ""
    if not belongs_here(account, stripe_settings):
        logger.warning("Stripe event %s for account %r is not for %s; not applied",
                       event["id"], account, connection.schema_name)
        return JsonResponse({"outcome": "not for this workspace"})
    return JsonResponse({"outcome": apply_event(event, account=account)})


@csrf_exempt
@require_POST
def receive_platform(request):
    """The platform's Connect endpoint: one address for every connected account's events,
    each applied in the schema of the tenant that connected the account."""
    from tenants.models import ConnectedAccount

    try:
        event = verified_event(request.body, request.headers.get("Stripe-Signature", ""),
                               settings.STRIPE_WEBHOOK_SECRET)
    except BadEvent as error:
        logger.warning("Stripe platform webhook refused: %s", error)
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    account = event.get("account") if isinstance(event.get("account"), str) else ""
    route = (ConnectedAccount.objects.select_related("tenant").filter(account_id=account)
             .first() if account else None)
    if route is None or not route.tenant.is_reachable:
        logger.warning("Stripe event %s for account %r matches no workspace", event["id"],
                       account)
        return JsonResponse({"outcome": "no workspace for this account"})
    with tenant_context(route.tenant):
        if not belongs_here(account, StripeAccountSettings.current()):
            return JsonResponse({"outcome": "not for this workspace"})
        return JsonResponse({"outcome": apply_event(event, account=account)})


app_name = "stripe-webhooks"
urlpatterns = [path("", receive, name="receive")]
platform_urlpatterns = ([path("", receive_platform, name="receive")], "stripe-platform-webhooks")
