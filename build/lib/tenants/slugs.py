"""Tenant slugs: DNS-safe host labels that also name the tenant's schema."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
MIN_LENGTH, MAX_LENGTH = 3, 40
RESERVED_SLUGS = frozenset({
    "www", "api", "admin", "public", "operator", "template", "static", "media", "mail",
    "smtp", "ftp", "app", "portal", "shop", "status", "help", "support", "billing", "signup",
    "login", "auth", "cdn", "assets", "ws", "webhooks", "dashboard", "root", "system",
})


def schema_for_slug(slug: str) -> str:
    # Hyphens are not allowed in slugs' schema twins; underscores are never in slugs, so the
    # mapping is one to one and never meets "_template" or "_spare_*".
    return slug.replace("-", "_")


def validate_slug(slug: str) -> str:
    """Return the normalised slug or raise ValidationError with a message a person can act on."""
    from tenants.models import Tenant

    slug = (slug or "").strip().lower()
    if not MIN_LENGTH <= len(slug) <= MAX_LENGTH:
        raise ValidationError(
            _("The address must be %(min)d to %(max)d characters long.")
            % {"min": MIN_LENGTH, "max": MAX_LENGTH}, code="length")
    if not SLUG_RE.match(slug) or "--" in slug:
        raise ValidationError(
            _("Use lowercase letters, digits and single hyphens; start with a letter and do not "
              "end with a hyphen."), code="format")
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved; choose another address.")
                              % {"slug": slug}, code="reserved")
    if Tenant.objects.filter(slug=slug).exists() or Tenant.objects.filter(
            schema_name=schema_for_slug(slug)).exists():
        raise ValidationError(_("The address “%(slug)s” is already taken.") % {"slug": slug},
                              code="taken")
    return slug
