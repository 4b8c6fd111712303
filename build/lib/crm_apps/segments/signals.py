"""Receivers of the events that can change a contact's segments: orders placed or moved on,
tags and classes, the contact itself, tickets, contracts, invoice payments and order links."""

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_save
from oscar.apps.order.signals import order_placed, order_status_changed
from oscar.core.loading import get_model

from crm_apps.billing.models import Payment
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account, Contact
from crm_apps.purchases.models import OrderContact
from crm_apps.segments.events import queue_refresh
from crm_apps.service.models import Ticket

# A save touching only other fields leaves every rule's answer as it was.
CONTACT_FIELDS = {"lifecycle_stage", "deleted_at", "account", "account_id", "portal_user",
                  "portal_user_id"}
TICKET_FIELDS = {"status", "contact", "contact_id", "deleted_at", "merged_into",
                 "merged_into_id"}
CONTRACT_FIELDS = {"status", "start", "end", "account", "account_id", "contact", "contact_id",
                   "deleted_at"}


def _touches(update_fields, relevant: set) -> bool:
    return update_fields is None or bool(set(update_fields) & relevant)


def _order_contacts(order) -> list[int]:
    owners = Q(order_links__order_id=order.pk)
    if order.user_id:
        owners |= Q(portal_user_id=order.user_id)
    return list(Contact.everything.filter(owners).values_list("pk", flat=True))


def on_order_placed(sender, order, **kwargs):
    queue_refresh(_order_contacts(order))


def on_order_status_changed(sender, order, old_status, new_status, **kwargs):
    queue_refresh(_order_contacts(order))


def on_order_saved(sender, instance, created, **kwargs):
    # Orders written without the checkout (imports, the dashboard, tests) send no signal.
    if created:
        queue_refresh(_order_contacts(instance))


def on_contact_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or _touches(update_fields, CONTACT_FIELDS):
        # The login may have moved to another contact: the shop's cached answers must go.
        queue_refresh([instance.pk], force_bump=True)


def on_contact_labels_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        queue_refresh([instance.pk])
    elif pk_set:  # a tag or class given to or taken from these contacts
        queue_refresh(pk_set)


def on_account_classes_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    accounts = pk_set if reverse else [instance.pk]
    if accounts:
        queue_refresh(Contact.objects.filter(account_id__in=list(accounts))
                      .values_list("pk", flat=True))


def on_ticket_saved(sender, instance, created, update_fields=None, **kwargs):
    if instance.contact_id and (created or _touches(update_fields, TICKET_FIELDS)):
        queue_refresh([instance.contact_id])


def on_contract_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and not _touches(update_fields, CONTRACT_FIELDS):
        return
    contacts = set(Contact.objects.filter(account_id=instance.account_id)
                   .values_list("pk", flat=True))
    queue_refresh(contacts | {instance.contact_id})


def on_payment_saved(sender, instance, **kwargs):
    invoice = instance.invoice
    if invoice.order_id is None and invoice.contact_id:
        queue_refresh([invoice.contact_id])


def on_order_linked(sender, instance, created, **kwargs):
    queue_refresh([instance.contact_id])


def connect() -> None:
    """Called once from the app config's ready()."""
    uid = "crm_apps.segments."
    order_placed.connect(on_order_placed, dispatch_uid=uid + "order_placed")
    order_status_changed.connect(on_order_status_changed, dispatch_uid=uid + "order_status")
    post_save.connect(on_order_saved, sender=get_model("order", "Order"),
                      dispatch_uid=uid + "order_saved")
    post_save.connect(on_contact_saved, sender=Contact, dispatch_uid=uid + "contact_saved")
    m2m_changed.connect(on_contact_labels_changed, sender=Contact.tags.through,
                        dispatch_uid=uid + "contact_tags")
    m2m_changed.connect(on_contact_labels_changed, sender=Contact.classes.through,
                        dispatch_uid=uid + "contact_classes")
    m2m_changed.connect(on_account_classes_changed, sender=Account.classes.through,
                        dispatch_uid=uid + "account_classes")
    post_save.connect(on_ticket_saved, sender=Ticket, dispatch_uid=uid + "ticket_saved")
    post_save.connect(on_contract_saved, sender=Contract, dispatch_uid=uid + "contract_saved")
    post_save.connect(on_payment_saved, sender=Payment, dispatch_uid=uid + "payment_saved")
    post_save.connect(on_order_linked, sender=OrderContact, dispatch_uid=uid + "order_linked")
