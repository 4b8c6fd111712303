"""What a tenant admin defines: custom fields, field restrictions per role, saved list views and
the branding of the documents the tenant sends (quotes, invoices)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.languages import in_reader_language


class CustomField(models.Model):
    """A field a tenant adds to a kind of record; values live in the record's ``custom`` JSON,
    keyed by ``code`` (see :mod:`crm_apps.customization.values` for the stored forms)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")

    entity = models.CharField(_("record type"), max_length=60)
    code = models.SlugField(_("code"), max_length=40,
                            help_text=_("Letters, digits and underscores; the key in the API."))
    label = models.CharField(_("label (English)"), max_length=100)
    label_zh_hans = models.CharField(_("label (Chinese)"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    # [{"value": "gold", "label": "Gold", "label_zh_hans": "金"}, ...] for choice types.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True,
                                help_text=_("ISO 4217 code for money fields, such as CNY."))
    required = models.BooleanField(_("required"), default=False)
    show_in_list = models.BooleanField(_("shown in lists"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["entity", "code"],
                                               name="custom_field_code_unique")]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        """The label in the reader's language."""
        return in_reader_language(self.label, self.label_zh_hans)

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return in_reader_language(choice.get("label") or value,
                                          choice.get("label_zh_hans") or "")
        return value


class FieldRestriction(models.Model):
    """A field hidden from chosen roles. ``field`` is a model field name (``annual_revenue``)
    or ``custom.<code>`` for a custom field. Tenant admins always see every field."""

    entity = models.CharField(_("record type"), max_length=60)
    field = models.CharField(_("field"), max_length=80)
    hidden_from = models.JSONField(_("hidden from roles"), default=list)

    class Meta:
        verbose_name = _("hidden field")
        verbose_name_plural = _("hidden fields")
        ordering = ["entity", "field"]
        constraints = [models.UniqueConstraint(fields=["entity", "field"],
                                               name="field_restriction_unique")]

    def __str__(self):
        return f"{self.entity}.{self.field}"


class SavedView(models.Model):
    """A named list view: its filters and sort (a query string) and its columns; private to
    its owner unless shared with the whole tenant."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.CASCADE, related_name="saved_views")
    entity = models.CharField(_("record type"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filters and sort"), blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "entity", "name"],
                                               name="saved_view_name_unique")]

    def __str__(self):
        return self.name


DEFAULT_BRAND_COLOR = "#0d6efd"


class Branding(models.Model):
    """How the tenant's documents and customer-facing pages look: one row per tenant schema.

    The legal lines are what a quote or an invoice must carry; the Chinese variants are used
    for documents written in Chinese when filled in.
    """

    brand_color = models.CharField(
        _("brand colour"), max_length=7, default=DEFAULT_BRAND_COLOR,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$",
                                   _("Enter a colour as # and six hex digits, such as #0d6efd."))])
    # Stored through the tenant file storage, under MEDIA_ROOT/<schema>/branding/.
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    legal_name_zh_hans = models.CharField(_("legal name (Chinese)"), max_length=200,
                                          blank=True)
    address = models.TextField(_("address"), max_length=500, blank=True,
                               help_text=_("One line per line of the letterhead."))
    address_zh_hans = models.TextField(_("address (Chinese)"), max_length=500, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=60, blank=True,
                              help_text=_("VAT number or unified social credit code."))
    contact_line = models.CharField(_("contact line"), max_length=200, blank=True,
                                    help_text=_("Phone, e-mail or website shown under the "
                                                "address."))
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="branding_single_row")]

    def __str__(self):
        return self.legal_name or str(_("Branding"))

    @classmethod
    def current(cls) -> "Branding":
        """The tenant's branding; an unsaved default until an admin saves the settings page."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def display_legal_name(self) -> str:
        return in_reader_language(self.legal_name, self.legal_name_zh_hans)

    @property
    def display_address_lines(self) -> list[str]:
        text = in_reader_language(self.address, self.address_zh_hans)
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def text_on_brand(self) -> str:
        """Black or white, whichever reads better on the brand colour (WCAG luminance)."""
        red, green, blue = (int(self.brand_color[i:i + 2], 16) / 255 for i in (1, 3, 5))

        def linear(channel: float) -> float:
            return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

        luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
        return "#000000" if luminance > 0.179 else "#ffffff"
