"""What other apps do when Stripe confirms a payment: one applier per payment purpose.

    register("invoices", succeeded=record_invoice_payments, refunded=record_refund)

Each callback is called as ``callback(payment, event)`` (``event`` the verified event as a
dict) inside the transaction that stores the event and holds the payment's row lock, so what
it writes is committed together with the event, exactly once. ``failed`` is also called when
a checkout session expires unpaid (``payment.status`` tells "failed" from "canceled").
"""

from collections.abc import Callable
from dataclasses import dataclass

Callback = Callable[[object, dict], None]


@dataclass(frozen=True)
class Applier:
    succeeded: Callback
    failed: Callback | None = None
    refunded: Callback | None = None


_appliers: dict[str, Applier] = {}


def register(purpose: str, *, succeeded: Callback, failed: Callback | None = None,
             refunded: Callback | None = None) -> None:
    """Register (or replace, e.g. on a reload) the applier of one purpose."""
    _appliers[purpose] = Applier(succeeded=succeeded, failed=failed, refunded=refunded)


def unregister(purpose: str) -> None:
    _appliers.pop(purpose, None)


def applier_for(purpose: str) -> Applier | None:
    return _appliers.get(purpose)
