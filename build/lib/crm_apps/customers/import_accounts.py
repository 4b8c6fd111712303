"""The account importer: rows to accounts in batches, duplicates found by domain or name."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.customers import import_base
from crm_apps.customers.import_base import (
    CustomColumns,
    ImportKind,
    RowError,
    check_length,
    staff_by_email,
    update_rows,
    visible_ids,
)
from crm_apps.customers.models import Account, Tag, domain_of

FIELDS = {
    "name": _("Name"),
    "industry": _("Industry"),
    "size": _("Size"),
    "tier": _("Tier"),
    "website": _("Website"),
    "phone": _("Phone"),
    "street": _("Street"),
    "city": _("City"),
    "region": _("Region"),
    "postal_code": _("Postal code"),
    "country": _("Country (ISO code)"),
    "territory": _("Territory"),
    "parent": _("Parent account (name)"),
    "annual_revenue": _("Annual revenue"),
    "owner": _("Owner (e-mail of a colleague)"),
    "tags": _("Tags (comma separated)"),
}
ALIASES = {
    "name": {"name", "accountname", "company", "companyname", "account", "organization",
             "organisation", "名称", "公司", "公司名称", "客户", "客户名称", "企业", "企业名称",
             "单位", "单位名称", "账户", "账户名称"},
    "industry": {"industry", "sector", "行业", "所属行业"},
    "size": {"size", "companysize", "employees", "headcount", "规模", "公司规模", "企业规模",
             "员工人数", "人数"},
    "tier": {"tier", "level", "accounttier", "等级", "客户等级", "级别"},
    "website": {"website", "web", "url", "homepage", "site", "domain", "网站", "网址", "官网",
                "主页", "域名"},
    "phone": {"phone", "telephone", "tel", "phonenumber", "电话", "电话号码", "联系电话",
              "座机", "总机"},
    "street": {"street", "address", "streetaddress", "address1", "街道", "地址", "详细地址",
               "街道地址"},
    "city": {"city", "town", "城市", "市"},
    "region": {"region", "state", "province", "county", "省", "省份", "地区", "州"},
    "postal_code": {"postalcode", "postcode", "zip", "zipcode", "邮编", "邮政编码"},
    "country": {"country", "countrycode", "国家", "国家代码", "国家地区"},
    "territory": {"territory", "salesterritory", "区域", "销售区域", "辖区"},
    "parent": {"parent", "parentaccount", "parentcompany", "母公司", "上级公司", "上级客户",
               "总公司", "上级账户"},
    "annual_revenue": {"annualrevenue", "revenue", "年收入", "年营业额", "营业额", "年营收",
                       "营收"},
    "owner": {"owner", "accountowner", "负责人", "所有者", "归属人"},
    "tags": {"tags", "tag", "labels", "标签"},
}
TEXT_FIELDS = ("name", "industry", "phone", "street", "city", "region", "postal_code",
               "territory")
MAX_LENGTHS = {name: Account._meta.get_field(name).max_length
               for name in (*TEXT_FIELDS, "website")}
TAG_LENGTH = Tag._meta.get_field("name").max_length
TAG_SEPARATORS = re.compile(r"\s*[,;，；、|]\s*")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
REVENUE = Account._meta.get_field("annual_revenue")
REVENUE_LIMIT = Decimal(10) ** (REVENUE.max_digits - REVENUE.decimal_places)

ACCOUNTS = ImportKind(
    code="accounts", model=Account, job_kind="account-import", fields=FIELDS, aliases=ALIASES,
    needs_one_of=("name",), needs_message=_("Map the column holding the account name."),
    unknown_message=_("Unknown account field(s): {fields}. Choose from: {choices}."),
    title=_("Import accounts: {name}"), check_title=_("Check account import: {name}"),
    mapping_key="customers:account-import-mapping",
)


def _choice_lookup(choices) -> dict:
    """Codes and labels (English and Chinese), lower case → code."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in choices:
                lookup[code.lower()] = code
                lookup[str(label).lower()] = code
    return lookup


def _revenue(text: str) -> Decimal:
    cleaned = re.sub(r"[\s,，]", "", text).lstrip("¥$€£￥").removesuffix("元")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise RowError(format_lazy(_("“{value}” is not an amount."), value=text),
                       field="annual_revenue") from None
    if not value.is_finite() or abs(value) >= REVENUE_LIMIT:
        raise RowError(format_lazy(_("“{value}” is not an amount."), value=text),
                       field="annual_revenue")
    if value != value.quantize(Decimal("0.01")):
        raise RowError(_("Use at most two decimal places for the annual revenue."),
                       field="annual_revenue")
    return value.quantize(Decimal("0.01"))


def _website(text: str) -> str:
    url = text if "://" in text else f"https://{text}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise RowError(format_lazy(_("“{value}” is not a web address."), value=text),
                       field="website") from None
    check_length(url, MAX_LENGTHS["website"], FIELDS["website"])
    return url


def split_tags(text: str) -> list[str]:
    """Tag names of a cell, each once (case-insensitively), in their order."""
    names, seen = [], set()
    for name in TAG_SEPARATORS.split(text.strip()):
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class AccountImporter:
    """Turns rows into accounts in batches: precomputed lookups, no query per row.

    A row is a duplicate of an account with the same website domain; failing that, of one
    with the same name (any case). Parents are named, and must exist (among the accounts the
    importing user sees) or come earlier in the file."""

    def __init__(self, *, user, mapping: dict, headers: list[str], duplicates: str, progress):
        self.user, self.duplicates, self.progress = user, duplicates, progress
        columns = [(field, headers.index(column)) for column, field in mapping.items()]
        self.custom = CustomColumns(ACCOUNTS, user, columns)
        self.columns = [(field, index) for field, index in columns if field in FIELDS]
        self.fields = {field for field, _index in self.columns}
        self.sizes = _choice_lookup(Account.Size.choices)
        self.tiers = _choice_lookup(Account.Tier.choices)
        self.staff = staff_by_email() if "owner" in self.fields else {}
        self.tags = ({name.lower(): pk for pk, name in Tag.objects.values_list("pk", "name")}
                     if "tags" in self.fields else {})
        self.new_tags: dict[str, Tag] = {}
        self.by_domain: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        for pk, name, domain in Account.objects.values_list("pk", "name", "domain").order_by(
                "pk"):
            self.by_name.setdefault(name.lower(), pk)
            if domain:
                self.by_domain.setdefault(domain, pk)
        seen = visible_ids(Account, user)
        self.visible = seen
        # Parents by name: the accounts this user sees, then those the file creates.
        self.parents = (dict(self.by_name) if seen is None else
                        {name: pk for name, pk in self.by_name.items() if pk in seen})
        # Names given by rows of the file so far (lower case) -> the account, or its id.
        self.file_names: dict[str, Account | int] = {}
        self.now = timezone.now()
        self.new_accounts: list[Account] = []
        self.pending_names: dict[str, Account] = {}
        self.pending_domains: dict[str, Account] = {}
        self.updates: dict[int, dict] = {}
        self.in_batch = 0
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0,
                       "tags_created": 0}

    def clean(self, cells: list[str]) -> dict:
        values = {field: cells[index] for field, index in self.columns}
        if not values.get("name"):
            raise RowError(_("The row has no account name."), field="name")
        for field in TEXT_FIELDS:
            if field in values:
                check_length(values[field], MAX_LENGTHS[field], FIELDS[field])
        for field, lookup, choices in (("size", self.sizes, Account.Size.values),
                                       ("tier", self.tiers, Account.Tier.values)):
            if values.get(field):
                code = lookup.get(values[field].lower())
                if code is None:
                    raise RowError(format_lazy(_("“{value}” is not a valid {field}. Choose "
                                                 "from: {choices}."), value=values[field],
                                               field=str(FIELDS[field]).lower(),
                                               choices=", ".join(choices)), field=field)
                values[field] = code
        if values.get("website"):
            values["website"] = _website(values["website"])
        if values.get("country"):
            if not COUNTRY.match(values["country"]):
                raise RowError(format_lazy(_("“{value}” is not a two-letter country code "
                                             "such as CN or US."), value=values["country"]),
                               field="country")
            values["country"] = values["country"].upper()
        if values.get("annual_revenue"):
            values["annual_revenue"] = _revenue(values["annual_revenue"])
        if values.get("owner"):
            owner = self.staff.get(values["owner"].lower())
            if owner is None:
                raise RowError(format_lazy(_("No colleague has the e-mail address “{value}”."),
                                           value=values["owner"]), field="owner")
            values["owner"] = owner
        if values.get("tags"):
            names = split_tags(values["tags"])
            for name in names:
                if len(name) > TAG_LENGTH:
                    raise RowError(format_lazy(_("The tag “{value}” is longer than {limit} "
                                                 "characters."), value=name, limit=TAG_LENGTH),
                                   field="tags")
            values["tags"] = names
        if values.get("parent"):
            key = values["parent"].lower()
            if key == values["name"].lower():
                raise RowError(_("An account cannot be its own parent."), field="parent")
            if key not in self.parents and key not in self.file_names:
                raise RowError(format_lazy(_("No account is named “{value}”: the parent must "
                                             "exist or come earlier in the file."),
                                           value=values["parent"]), field="parent")
        return values

    def _account_fields(self, values: dict, *, new: bool) -> dict:
        """Model attributes from cleaned values; an update keeps what blank cells would wipe."""
        data = {}
        for field, value in values.items():
            if field in ("owner", "tags", "parent"):
                continue
            if value or value == 0:
                data[field] = value
        if "website" in data:
            data["domain"] = domain_of(data["website"])
        if values.get("owner"):
            data["owner_id"] = values["owner"]
        elif new:
            data["owner_id"] = self.user.pk
        if values.get("parent"):
            data["_parent"] = values["parent"].lower()
        if values.get("tags"):
            keys = []
            for name in values["tags"]:
                key = name.lower()
                if key not in self.tags and key not in self.new_tags:
                    self.new_tags[key] = Tag(name=name)
                keys.append(key)
            data["_tags"] = keys
        return data

    def _match(self, values: dict):
        domain = domain_of(values.get("website", ""))
        if domain:
            target = self.pending_domains.get(domain) or self.by_domain.get(domain)
            if target is not None:
                return target
        key = values["name"].lower()
        return self.pending_names.get(key) or self.by_name.get(key)

    def add(self, cells: list[str]) -> None:
        values = self.clean(cells)
        target = None if self.duplicates == "create" else self._match(values)
        custom = self.custom.parse(cells, new=target is None)
        if target is not None and self.duplicates == "skip":
            self.counts["skipped"] += 1
        elif isinstance(target, Account):  # a row earlier in this batch
            data = self._account_fields(values, new=False)
            target._tags.extend(key for key in data.pop("_tags", ()) if key not in target._tags)
            target._parent = data.pop("_parent", target._parent)
            for field, value in data.items():
                setattr(target, field, value)
            target.custom.update(custom)
            self._remember_pending(target)
            self.file_names[values["name"].lower()] = target
        elif target is not None:
            if self.visible is not None and target not in self.visible:
                raise RowError(_("An account with the same website or name exists, but it "
                                 "is not yours to change."))
            if values.get("parent") and self._parent_id(values["parent"].lower()) == target:
                raise RowError(_("An account cannot be its own parent."), field="parent")
            data = self._account_fields(values, new=False)
            update = self.updates.setdefault(target, {})
            tags = data.pop("_tags", ())
            update.setdefault("_tags", []).extend(tags)
            update.update(data)
            if custom:
                update.setdefault("_custom", {}).update(custom)
            if data.get("domain"):
                self.by_domain.setdefault(data["domain"], target)
            self.file_names[values["name"].lower()] = target
        else:
            data = self._account_fields(values, new=True)
            tags, parent = data.pop("_tags", []), data.pop("_parent", None)
            account = Account(**data, custom=custom)
            account._tags, account._parent = tags, parent
            self.new_accounts.append(account)
            self._remember_pending(account)
            self.file_names.setdefault(values["name"].lower(), account)
        self.in_batch += 1
        if self.in_batch >= import_base.BATCH_SIZE:
            self.flush()

    def _remember_pending(self, account: Account) -> None:
        self.pending_names.setdefault(account.name.lower(), account)
        if account.domain:
            self.pending_domains.setdefault(account.domain, account)

    def _parent_id(self, key: str | None):
        """The id of the account a parent cell names: a row of the file, else an account
        the user sees (None while the file's account is not written yet)."""
        if not key:
            return None
        named = self.file_names.get(key)
        if isinstance(named, Account):
            return named.pk
        return named if named is not None else self.parents.get(key)

    def flush(self) -> None:
        if self.new_tags:
            created = Tag.objects.bulk_create(list(self.new_tags.values()))
            self.tags.update((tag.name.lower(), tag.pk) for tag in created)
            self.counts["tags_created"] += len(created)
            self.new_tags = {}
        Account.objects.bulk_create(self.new_accounts, batch_size=import_base.BATCH_SIZE)
        links = []
        for account in self.new_accounts:
            key = account.name.lower()
            self.by_name.setdefault(key, account.pk)
            if self.file_names.get(key) is account:  # ids from now on, not whole accounts
                self.file_names[key] = account.pk
            if account.domain:
                self.by_domain.setdefault(account.domain, account.pk)
            if self.visible is not None:
                self.visible.add(account.pk)
            links.extend((account.pk, self.tags[key]) for key in account._tags)
        # Parents may be rows of this very batch: linked once every row has its id.
        children = [account for account in self.new_accounts if account._parent]
        for account in children:
            account.parent_id = self._parent_id(account._parent)
        update_rows(Account, children, ["parent"])
        self.counts["created"] += len(self.new_accounts)
        links.extend(self._apply_updates())
        through = Account.tags.through
        through.objects.bulk_create([through(account_id=account, tag_id=tag)
                                     for account, tag in links], ignore_conflicts=True)
        self.progress.advance(self.in_batch)
        self.new_accounts, self.pending_names, self.pending_domains = [], {}, {}
        self.in_batch = 0

    def _apply_updates(self) -> list[tuple[int, int]]:
        """Write the batch's changes to existing accounts; returns their new tag links."""
        if not self.updates:
            return []
        accounts = Account.objects.in_bulk(list(self.updates))
        changed, links = set(), []
        for pk, data in self.updates.items():
            account = accounts.get(pk)
            if account is None:
                continue
            links.extend((pk, self.tags[key]) for key in data.pop("_tags", ()))
            custom = data.pop("_custom", None)
            if custom:
                account.custom = {**(account.custom or {}), **custom}
                changed.add("custom")
            parent = data.pop("_parent", None)
            if parent:
                account.parent_id = self._parent_id(parent)
                changed.add("parent")
            for field, value in data.items():
                setattr(account, field, value)
            changed.update(data)
            account.updated = self.now
        update_rows(Account, list(accounts.values()), sorted(changed | {"updated"}))
        self.counts["updated"] += len(accounts)
        self.updates = {}
        return links
