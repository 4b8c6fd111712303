"""Tenants, their host names and plans, the spare-schema pool and platform switches."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from core.zones import default_time_zone, validate_time_zone


class Plan(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    max_staff_users = models.PositiveIntegerField(
        _("max staff users"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    monthly_price = models.DecimalField(_("monthly price"), max_digits=10, decimal_places=2,
                                        default=0)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        ordering = ["monthly_price", "name"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.name


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        DELETED = "deleted", _("Deleted")

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="tenants")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.ACTIVE, db_index=True)
    owner_email = models.EmailField(_("owner e-mail"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    status_changed = models.DateTimeField(_("status changed"), null=True, blank=True)
    # Pages, "My day", the calendar, form inputs and the calendar feed count time here.
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone,
                                 validators=[validate_time_zone],
                                 help_text=_("An IANA time zone name, such as Asia/Shanghai."))

    # Provisioning creates and drops schemas itself (clone, spare pool), never on save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self):
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def is_reachable(self) -> bool:
        return self.status != self.Status.DELETED

    @property
    def max_staff_users(self):
        return self.plan.max_staff_users if self.plan_id else None

    @property
    def hostname(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    @property
    def base_url(self) -> str:
        return f"{settings.SITE_SCHEME}://{self.hostname}{settings.SITE_PORT_SUFFIX}"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class SpareSchema(models.Model):
    """A ready clone of the template, waiting to be renamed into a new tenant's schema."""

    schema_name = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self):
        return self.schema_name


class TenantExport(models.Model):
    """A pg_dump of one tenant schema, kept even after the tenant is deleted."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="exports")
    path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.filename

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class PlatformSettings(models.Model):
    """Operator switches for the whole platform (one row)."""

    signup_enabled = models.BooleanField(_("public sign-up enabled"), default=False)
    signup_plan = models.ForeignKey(Plan, verbose_name=_("plan for sign-ups"), null=True,
                                    blank=True, on_delete=models.SET_NULL)

    def __str__(self):
        return "Platform settings"

    @classmethod
    def load(cls) -> "PlatformSettings":
        return cls.objects.get_or_create(pk=1)[0]


class ConnectedAccount(models.Model):
    """Which tenant a Stripe Connect account belongs to: the platform's webhooks carry the
    account, and this table routes them (kept in step with each tenant's payment settings)."""

    account_id = models.CharField(_("connected account ID"), max_length=64, unique=True)
    tenant = models.ForeignKey(Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE,
                               related_name="connected_accounts")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("connected Stripe account")
        verbose_name_plural = _("connected Stripe accounts")

    def __str__(self):
        return self.account_id


class SchemaMigrationStatus(models.Model):
    """Where `migrate_fleet` left each schema, so a rerun resumes: done schemas are skipped,
    failed and unfinished ones are tried again."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    schema_name = models.CharField(_("schema name"), max_length=63, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING, db_index=True)
    # A fingerprint of every migration the code defines: a done row with an older target
    # is behind again after a deploy.
    target = models.CharField(_("migration target"), max_length=64, blank=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["schema_name"]
        verbose_name = _("schema migration status")
        verbose_name_plural = _("schema migration statuses")

    def __str__(self):
        return f"{self.schema_name}: {self.state}"
