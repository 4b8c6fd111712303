"""Accounts (companies) and contacts (people), with the teams, tags and classes around them."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of staff; records owned by a team are visible to its members and its lead."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("team lead"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="teams_led")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"),
                                     blank=True, related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerClass(models.Model):
    """A classification the tenant defines (for example "key account", "reseller")."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("customer class")
        verbose_name_plural = _("customer classes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class LiveManager(models.Manager):
    """Records not in the bin (soft-deleted rows stay restorable for 30 days)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class OwnedRecord(models.Model):
    """What every owned record shares (customers, leads, deals, contracts): an owner and a team
    for the visibility rule, timestamps, and soft delete into the bin."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    objects = LiveManager()
    everything = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        abstract = True

    def soft_delete(self) -> None:
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at", "updated"])


class CustomerRecord(OwnedRecord):
    """What accounts and contacts add: tags, classes and custom fields."""

    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    classes = models.ManyToManyField(CustomerClass, verbose_name=_("customer classes"),
                                     blank=True, related_name="+")
    # Values of the tenant's custom fields, by field code (crm_apps.customization.values).
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta(OwnedRecord.Meta):
        abstract = True


class Account(CustomerRecord):
    class Size(models.TextChoices):
        MICRO = "1-9", _("1–9 employees")
        SMALL = "10-49", _("10–49 employees")
        MEDIUM = "50-249", _("50–249 employees")
        LARGE = "250-999", _("250–999 employees")
        ENTERPRISE = "1000+", _("1,000 or more employees")

    class Tier(models.TextChoices):
        BRONZE = "bronze", _("Bronze")
        SILVER = "silver", _("Silver")
        GOLD = "gold", _("Gold")
        PLATINUM = "platinum", _("Platinum")

    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    website = models.URLField(_("website"), blank=True)
    # The website's host, kept for duplicate detection by company domain.
    domain = models.CharField(_("domain"), max_length=200, blank=True, editable=False,
                              db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True,
                               help_text=_("ISO 3166 code, such as CN or US."))
    parent = models.ForeignKey("self", verbose_name=_("parent account"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="children")
    territory = models.CharField(_("territory"), max_length=100, blank=True)
    annual_revenue = models.DecimalField(_("annual revenue"), max_digits=16, decimal_places=2,
                                         null=True, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="account_owner_recent"),
                   models.Index(fields=["team", "-id"], name="account_team_recent"),
                   GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"],
                            name="account_custom_values")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.domain = domain_of(self.website)
        if kwargs.get("update_fields") is not None and "website" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "domain"}
        super().save(*args, **kwargs)


def domain_of(website: str) -> str:
    """``https://www.Example.com/about`` -> ``example.com``."""
    if not website:
        return ""
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.lower().removeprefix("www.")


class Contact(CustomerRecord):
    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        MARKETING_QUALIFIED = "mql", _("Marketing qualified")
        SALES_QUALIFIED = "sql", _("Sales qualified")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")
        EVANGELIST = "evangelist", _("Evangelist")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="contacts")
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    other_emails = models.JSONField(_("other e-mails"), default=list, blank=True)
    # The customer's own sign-in to the portal (and the shop): one identity, one contact.
    portal_user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("portal login"),
                                       null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="portal_contact")
    # A company's portal admin sees every ticket and order of the account, not only their own.
    portal_admin = models.BooleanField(
        _("company portal admin"), default=False,
        help_text=_("Sees all tickets, orders and invoices of the account in the portal."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=20,
                                       choices=Stage.choices, default=Stage.LEAD)
    email_consent = models.BooleanField(_("consents to e-mail"), default=False)
    consent_date = models.DateTimeField(_("consent date"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "-id"], name="contact_owner_recent"),
                   models.Index(fields=["team", "-id"], name="contact_team_recent"),
                   GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"],
                            name="contact_custom_values")]

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
