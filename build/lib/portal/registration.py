"""Self-registration rules: who gets a pending login, and which contact a verified login joins."""

from django.contrib.auth import get_user_model
from django.db import transaction

from core.accounts import create_user
from core.roles import PORTAL_CUSTOMER
from crm_apps.customers.models import Contact
from portal.models import PendingRegistration


def address_taken(email: str) -> bool:
    """An active or staff-disabled login, or a contact already holding a portal login, owns
    this address (a registration still awaiting verification does not)."""
    users = get_user_model().objects.filter(email__iexact=email)
    pending = PendingRegistration.objects.filter(user__email__iexact=email)
    if users.exclude(pk__in=pending.values("user_id")).exists():
        return True
    return Contact.objects.filter(email__iexact=email, portal_user__isnull=False).exists()


@transaction.atomic
def start_registration(*, email: str, password: str, first_name: str = "",
                       last_name: str = "", language: str = ""):
    """An inactive portal login waiting for its address to be confirmed; registering again
    before that replaces the password (the address owner is the one who confirms)."""
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email, is_active=False).first()
    if user is None:
        user = create_user(email=email, password=password, role=PORTAL_CUSTOMER,
                           first_name=first_name, last_name=last_name, language=language)
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        user.set_password(password)
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["password", "first_name", "last_name"])
    PendingRegistration.objects.update_or_create(
        user=user, defaults={"first_name": first_name, "last_name": last_name})
    return user


def contact_to_link(email: str):
    """The live contact with this address and no portal login, most recently updated first."""
    return (Contact.objects.select_for_update()
            .filter(email__iexact=email, portal_user__isnull=True)
            .order_by("-updated", "-pk").first())


@transaction.atomic
def complete_registration(user) -> Contact:
    """Activates a verified login and links it to its contact, or to a new one without an
    account. Never to a contact that has someone else's login."""
    pending = PendingRegistration.objects.select_for_update().filter(user=user).first()
    user.is_active = True
    user.save(update_fields=["is_active"])
    contact = contact_to_link(user.email)
    if contact is None:
        contact = Contact.objects.create(
            email=user.email, first_name=pending.first_name if pending else user.first_name,
            last_name=pending.last_name if pending else user.last_name, portal_user=user,
            lifecycle_stage=Contact.Stage.CUSTOMER)
    else:
        contact.portal_user = user
        contact.save(update_fields=["portal_user", "updated"])
    if pending:
        pending.delete()
    return contact
