"""The columns a list page of accounts or contacts can show, and how a cell is written."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from crm_apps.customers.models import Account, Contact
from crm_apps.customization import access, values

DASH = "—"


def _text(name):
    def render(record):
        return getattr(record, name) or DASH
    return render


def _choice(name):
    def render(record):
        if not getattr(record, name):
            return DASH
        label = getattr(record, f"get_{name}_display")()
        return format_html('<span class="badge text-bg-light border">{}</span>', label)
    return render


def _related(name):
    def render(record):
        related = getattr(record, name)
        return str(related) if related else DASH
    return render


def _tags(record):
    tags = list(record.tags.all())  # prefetched with the page
    if not tags:
        return format_html('<span class="text-secondary">{}</span>', DASH)
    return format_html_join(
        "", '<span class="badge rounded-pill text-bg-secondary me-1">{}</span>',
        ((tag.name,) for tag in tags))


def _created(record):
    return format_html('<span class="text-nowrap small text-secondary">{}</span>',
                       date_format(localtime(record.created), "SHORT_DATE_FORMAT"))


def _email(record):
    if not record.email:
        return DASH
    return format_html('<a href="mailto:{0}">{0}</a>', record.email)


def _yes_no(name):
    def render(record):
        return _("Yes") if getattr(record, name) else _("No")
    return render


def _money(name):
    def render(record):
        value = getattr(record, name)
        return DASH if value is None else f"{value:,.2f}"
    return render


@dataclass(frozen=True)
class Column:
    key: str  # in ?columns= and saved views: a model field name, or custom.<code>
    label: str
    render: Callable = field(compare=False)
    sort: str = ""  # the ?sort= key when the column sorts
    default: bool = False
    custom: object = field(default=None, compare=False)  # the CustomField of a custom column


ACCOUNT_COLUMNS = [
    Column("industry", _("Industry"), _text("industry"), sort="industry", default=True),
    Column("tier", _("Tier"), _choice("tier"), sort="tier", default=True),
    Column("city", _("City"), _text("city"), sort="city", default=True),
    Column("tags", _("Tags"), _tags, default=True),
    Column("owner", _("Owner"), _related("owner"), sort="owner", default=True),
    Column("created", _("Created"), _created, sort="created", default=True),
    Column("phone", _("Phone"), _text("phone")),
    Column("website", _("Website"), _text("website")),
    Column("size", _("Size"), _choice("size")),
    Column("country", _("Country"), _text("country")),
    Column("territory", _("Territory"), _text("territory"), sort="territory"),
    Column("annual_revenue", _("Annual revenue"), _money("annual_revenue"),
           sort="annual_revenue"),
    Column("team", _("Team"), _related("team")),
    Column("parent", _("Parent account"), _related("parent")),
]

CONTACT_COLUMNS = [
    Column("account", _("Account"), _related("account"), sort="account", default=True),
    Column("email", _("E-mail"), _email, sort="email", default=True),
    Column("lifecycle_stage", _("Stage"), _choice("lifecycle_stage"), sort="stage",
           default=True),
    Column("tags", _("Tags"), _tags, default=True),
    Column("owner", _("Owner"), _related("owner"), sort="owner", default=True),
    Column("created", _("Created"), _created, sort="created", default=True),
    Column("title", _("Job title"), _text("title")),
    Column("phone", _("Phone"), _text("phone")),
    Column("mobile", _("Mobile"), _text("mobile")),
    Column("email_consent", _("Consents to e-mail"), _yes_no("email_consent")),
    Column("team", _("Team"), _related("team")),
]

BUILT_IN = {Account: ACCOUNT_COLUMNS, Contact: CONTACT_COLUMNS}
# The ?sort= keys: every sortable column's, plus the name column that is always shown.
SORT_FIELDS = {
    Account: {"name": "name", "industry": "industry", "tier": "tier", "city": "city",
              "owner": "owner__email", "created": "created", "territory": "territory",
              "annual_revenue": "annual_revenue"},
    Contact: {"name": "last_name", "account": "account__name", "email": "email",
              "stage": "lifecycle_stage", "owner": "owner__email", "created": "created"},
}
# The field a sort key reads (to refuse sorting by a field hidden from the user).
SORT_SOURCE = {"stage": "lifecycle_stage", "name": "name"}


def _custom_cell(definition):
    def render(record):
        return values.display(definition, (record.custom or {}).get(definition.code)) or DASH
    return render


def available_columns(model, user, definitions) -> list[Column]:
    """Every column ``user`` may choose on the list of ``model``: built-in ones, then the
    custom fields (``definitions``: the user's visible ones), never a hidden field."""
    hidden = access.hidden_fields(model, user)
    columns = [column for column in BUILT_IN[model] if column.key not in hidden]
    for definition in definitions:
        key = access.custom_key(definition.code)
        if key not in hidden:
            columns.append(Column(key, definition.display_label, _custom_cell(definition),
                                  default=definition.show_in_list, custom=definition))
    return columns


def parse_columns(raw_values) -> list[str]:
    """Column keys from ``?columns=a,b`` (or repeated ``columns``), in order, once each."""
    keys = []
    for raw in raw_values:
        for key in str(raw).split(","):
            key = key.strip()
            if key and key not in keys:
                keys.append(key)
    return keys


def chosen_columns(available: list[Column], keys: list[str]) -> list[Column]:
    """The columns named by ``keys`` (unknown or hidden ones dropped), or the defaults."""
    by_key = {column.key: column for column in available}
    chosen = [by_key[key] for key in keys if key in by_key]
    return chosen or [column for column in available if column.default]
