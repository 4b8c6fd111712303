"""Creating staff and portal users inside a tenant, within the tenant's plan limits."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.roles import ALL_ROLES, PORTAL_CUSTOMER, STAFF_ROLES
from core.signals import user_created


def staff_count() -> int:
    users = get_user_model().objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
    return users.distinct().count()


def check_staff_limit() -> None:
    """Refuse a new staff user beyond the tenant plan's limit (None means unlimited)."""
    limit = getattr(getattr(connection, "tenant", None), "max_staff_users", None)
    if limit is not None and staff_count() >= limit:
        raise ValidationError(
            _("Your plan allows %(limit)d staff users; upgrade the plan to add more.")
            % {"limit": limit}
        )


@transaction.atomic
def create_user(*, email: str, password: str | None, role: str, first_name: str = "",
                last_name: str = "", language: str = "", password_hash: str | None = None,
                acting_user=None):
    """Create a user of the current tenant with one role; staff count against the plan."""
    if role not in ALL_ROLES:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": role})
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email).lower()
    if user_model.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("A user with this e-mail already exists."))
    if role in STAFF_ROLES:
        check_staff_limit()
    user = user_model(
        email=email, first_name=first_name, last_name=last_name,
        preferred_language=language, is_staff=role in STAFF_ROLES,
    )
    if password_hash:  # hashed ahead by the caller (the hash is the slow part)
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    user_created.send(sender=user_model, user=user, role=role, acting_user=acting_user)
    return user


def create_portal_customer(**kwargs):
    return create_user(role=PORTAL_CUSTOMER, **kwargs)
