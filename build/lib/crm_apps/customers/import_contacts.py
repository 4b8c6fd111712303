"""The contact importer: rows to contacts in batches, duplicates found by e-mail or phone."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.customers import import_base
from crm_apps.customers.duplicates import MIN_PHONE_DIGITS, digits
from crm_apps.customers.import_base import (
    CustomColumns,
    ImportKind,
    RowError,
    staff_by_email,
    update_rows,
    visible_ids,
)
from crm_apps.customers.models import Account, Contact

# Contact fields a column can fill; "company" finds or creates an account by name and
# "owner" names a staff member by e-mail.
FIELDS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "mobile": _("Mobile"),
    "title": _("Job title"),
    "company": _("Company"),
    "lifecycle_stage": _("Lifecycle stage"),
    "email_consent": _("Consents to e-mail"),
    "consent_source": _("Consent source"),
    "owner": _("Owner (e-mail of a colleague)"),
}
# Header names (normalised: lower case, no spaces or punctuation) each field is suggested for.
ALIASES = {
    "first_name": {"firstname", "givenname", "forename", "first", "名", "名字"},
    "last_name": {"lastname", "surname", "familyname", "last", "姓", "姓氏"},
    "email": {"email", "emailaddress", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址",
              "电子邮件地址"},
    "phone": {"phone", "telephone", "tel", "phonenumber", "电话", "电话号码", "座机", "固定电话",
              "联系电话"},
    "mobile": {"mobile", "mobilephone", "cell", "cellphone", "手机", "手机号", "手机号码",
               "移动电话"},
    "title": {"title", "jobtitle", "position", "role", "职位", "职务", "头衔", "职称"},
    "company": {"company", "companyname", "account", "organization", "organisation",
                "employer", "公司", "公司名称", "单位", "企业", "企业名称"},
    "lifecycle_stage": {"stage", "lifecyclestage", "lifecycle", "阶段", "生命周期阶段",
                        "客户阶段"},
    "email_consent": {"emailconsent", "consent", "optin", "marketingconsent", "同意邮件",
                      "邮件同意", "同意接收邮件"},
    "consent_source": {"consentsource", "同意来源"},
    "owner": {"owner", "contactowner", "负责人", "所有者", "归属人"},
}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "on", "是", "同意", "对"}
FALSE_WORDS = {"", "0", "false", "no", "n", "off", "否", "不同意", "不"}
MAX_LENGTHS = {name: Contact._meta.get_field(name).max_length
               for name in ("first_name", "last_name", "email", "phone", "mobile", "title",
                            "consent_source")}
MAX_LENGTHS["company"] = Account._meta.get_field("name").max_length
PHONE_FIELDS = ("phone", "mobile")

CONTACTS = ImportKind(
    code="contacts", model=Contact, job_kind="contact-import", fields=FIELDS, aliases=ALIASES,
    needs_one_of=("email", "first_name", "last_name"),
    needs_message=_("Map at least one of the e-mail, first name or last name columns."),
    unknown_message=_("Unknown contact field(s): {fields}. Choose from: {choices}."),
    title=_("Import contacts: {name}"), check_title=_("Check contact import: {name}"),
    mapping_key="customers:contact-import-mapping",
    stands_for={"company": "account"},
)


def _stage_lookup() -> dict:
    """Stage codes and labels (English and Chinese), lower case → code."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in Contact.Stage.choices:
                lookup[code] = code
                lookup[str(label).lower()] = code
    return lookup


def phone_keys(values: dict) -> list[str]:
    """The digits of the row's phone and mobile numbers long enough to match on (the rule of
    duplicates.contact_matches: all digits equal)."""
    keys = []
    for field in PHONE_FIELDS:
        number = values.get(field)
        if number:
            number = digits(number)
            if len(number) >= MIN_PHONE_DIGITS and number not in keys:
                keys.append(number)
    return keys


def write_batch(contacts: list[Contact]) -> None:
    """One batch of new contacts in one INSERT (the audit trail records the import once)."""
    Contact.objects.bulk_create(contacts, batch_size=import_base.BATCH_SIZE)


class ContactImporter:
    """Turns rows into contacts in batches: precomputed lookups, no query per row.

    A row is a duplicate of a contact with the same e-mail address (main or other); failing
    that, of one with the same phone or mobile number, unless both have e-mail addresses and
    they differ (then they are two people sharing a switchboard number)."""

    def __init__(self, *, user, mapping: dict, headers: list[str], duplicates: str, progress):
        self.user, self.duplicates, self.progress = user, duplicates, progress
        self.columns = [(field, headers.index(column)) for column, field in mapping.items()]
        self.fields = {field for field, _index in self.columns}
        self.custom = CustomColumns(CONTACTS, user, self.columns)
        self.columns = [(field, index) for field, index in self.columns if field in FIELDS]
        self.stages = _stage_lookup()
        self.staff = staff_by_email() if "owner" in self.fields else {}
        self.by_phone = bool(self.fields & set(PHONE_FIELDS)) and duplicates != "create"
        self.existing: dict[str, int] = {}  # e-mail → pk
        self.existing_phones: dict[str, int] = {}  # digits → pk
        self.with_email: set[int] = set()  # pks of contacts that have an e-mail address
        if duplicates != "create":
            self._load_existing()
        self.visible = visible_ids(Contact, user) if duplicates == "update" else None
        self.accounts = ({name.lower(): pk for pk, name in
                          Account.objects.values_list("pk", "name").order_by("pk")}
                         if "company" in self.fields else {})
        self.now = timezone.now()
        self.new_accounts: dict[str, Account] = {}
        self.new_contacts: list[Contact] = []
        self.pending: dict[str, Contact] = {}  # e-mail → contact of this batch, unsaved
        self.pending_phones: dict[str, Contact] = {}  # digits → contact of this batch
        self.updates: dict[int, dict] = {}  # pk → fields, for existing contacts
        self.in_batch = 0
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0,
                       "accounts_created": 0}

    def _load_existing(self) -> None:
        """E-mail addresses (main and other) and phone digits of every live contact, one
        query."""
        rows = Contact.objects.values_list("pk", "email", "other_emails", "phone", "mobile")
        for pk, email, others, phone, mobile in rows:
            if email:
                self.existing.setdefault(email.lower(), pk)
                self.with_email.add(pk)
            for other in others or ():
                if isinstance(other, str) and other:
                    self.existing.setdefault(other.lower(), pk)
            if self.by_phone:
                for number in (phone, mobile):
                    if number:
                        key = digits(number)
                        if len(key) >= MIN_PHONE_DIGITS:
                            self.existing_phones.setdefault(key, pk)

    def clean(self, cells: list[str]) -> dict:
        values = {field: cells[index] for field, index in self.columns}
        for field, limit in MAX_LENGTHS.items():
            if len(values.get(field, "")) > limit:
                raise RowError(format_lazy(_("{field} is longer than {limit} characters."),
                                           field=FIELDS[field], limit=limit), field=field)
        email = values.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise RowError(format_lazy(_("“{value}” is not a valid e-mail address."),
                                           value=values["email"]), field="email") from exc
            values["email"] = email
        elif not values.get("first_name") and not values.get("last_name"):
            raise RowError(_("The row has neither a name nor an e-mail address."))
        if "lifecycle_stage" in values:
            stage = values["lifecycle_stage"]
            if stage:
                code = self.stages.get(stage.lower())
                if code is None:
                    raise RowError(format_lazy(
                        _("“{value}” is not a lifecycle stage. Choose from: {choices}."),
                        value=stage, choices=", ".join(Contact.Stage.values)),
                        field="lifecycle_stage")
                values["lifecycle_stage"] = code
        if "email_consent" in values:
            word = values["email_consent"].lower()
            if word in TRUE_WORDS:
                values["email_consent"] = True
            elif word in FALSE_WORDS:
                values["email_consent"] = False
            else:
                raise RowError(format_lazy(_("“{value}” is not yes or no (e-mail consent)."),
                                           value=values["email_consent"]),
                               field="email_consent")
        if values.get("owner"):
            owner = self.staff.get(values["owner"].lower())
            if owner is None:
                raise RowError(format_lazy(_("No colleague has the e-mail address “{value}”."),
                                           value=values["owner"]), field="owner")
            values["owner"] = owner
        return values

    def _contact_fields(self, values: dict, *, new: bool, keep_email: bool = True) -> dict:
        """Model attributes from cleaned values; an update keeps what blank cells would wipe."""
        data = {}
        for field, value in values.items():
            # The e-mail that found the contact (maybe among its other addresses) stays.
            if field in ("company", "owner", "email_consent") or (
                    field == "email" and not new and keep_email):
                continue
            if value or (new and field in ("first_name", "last_name")):
                data[field] = value
        if values.get("owner"):
            data["owner_id"] = values["owner"]
        elif new:
            data["owner_id"] = self.user.pk
        if values.get("email_consent") is True:
            data.update(email_consent=True, consent_date=self.now,
                        consent_source=values.get("consent_source") or "import")
        elif values.get("email_consent") is False and "email_consent" in values:
            data["email_consent"] = False
        company = values.get("company", "")
        if company:
            key = company.lower()
            if key not in self.accounts and key not in self.new_accounts:
                self.new_accounts[key] = Account(name=company, owner_id=self.user.pk)
            data["_company"] = key
        return data

    def _match(self, values: dict, phones: list[str]):
        """(contact or pk, matched by e-mail) of the duplicate of this row, or (None, False)."""
        email = values.get("email", "")
        if email:
            target = self.pending.get(email) or self.existing.get(email)
            if target is not None:
                return target, True
        for key in phones:
            # The first contact with the number wins (a later one shares it, see above).
            target = self.existing_phones.get(key) or self.pending_phones.get(key)
            if target is None:
                continue
            has_email = (bool(target.email) if isinstance(target, Contact)
                         else target in self.with_email)
            if not (email and has_email):
                return target, False
        return None, False

    def add(self, cells: list[str]) -> None:
        values = self.clean(cells)
        phones = phone_keys(values) if self.by_phone else ()
        target, by_email = ((None, False) if self.duplicates == "create"
                            else self._match(values, phones))
        custom = self.custom.parse(cells, new=target is None)
        email = values.get("email", "")
        if target is not None and self.duplicates == "skip":
            self.counts["skipped"] += 1
        elif isinstance(target, Contact):  # update a contact added earlier in this batch
            for field, value in self._contact_fields(values, new=False,
                                                     keep_email=by_email).items():
                setattr(target, field, value)
            target.custom.update(custom)
            self._remember_pending(target, values, phones)
        elif target is not None:
            if self.visible is not None and target not in self.visible:
                raise RowError(_("A contact with the same e-mail address or phone number "
                                 "exists, but it is not yours to change."))
            data = self._contact_fields(values, new=False, keep_email=by_email)
            update = self.updates.setdefault(target, {})
            update.update(data)
            if custom:
                update.setdefault("_custom", {}).update(custom)
            if email and not by_email:  # the number found it: later rows find it by address
                self.existing.setdefault(email, target)
                self.with_email.add(target)
        else:
            data = self._contact_fields(values, new=True)
            company = data.pop("_company", None)
            contact = Contact(**data, custom=custom)
            contact._company = company
            self.new_contacts.append(contact)
            self._remember_pending(contact, values, phones)
        self.in_batch += 1
        if self.in_batch >= import_base.BATCH_SIZE:
            self.flush()

    def _remember_pending(self, contact: Contact, values: dict, phones) -> None:
        if values.get("email"):
            self.pending.setdefault(values["email"], contact)
        for key in phones:
            self.pending_phones.setdefault(key, contact)

    def flush(self) -> None:
        if self.new_accounts:
            created = Account.objects.bulk_create(list(self.new_accounts.values()),
                                                  batch_size=import_base.BATCH_SIZE)
            self.accounts.update((account.name.lower(), account.pk) for account in created)
            self.counts["accounts_created"] += len(created)
            self.new_accounts = {}
        for contact in self.new_contacts:
            company = getattr(contact, "_company", None)
            if company:
                contact.account_id = self.accounts[company]
        write_batch(self.new_contacts)
        for contact in self.new_contacts:
            if contact.email:
                self.existing.setdefault(contact.email, contact.pk)
                self.with_email.add(contact.pk)
            if self.visible is not None:
                self.visible.add(contact.pk)
        for key, contact in self.pending_phones.items():
            if contact.pk is not None:
                self.existing_phones.setdefault(key, contact.pk)
        self.counts["created"] += len(self.new_contacts)
        self._apply_updates()
        self.progress.advance(self.in_batch)
        self.new_contacts, self.pending, self.pending_phones, self.in_batch = [], {}, {}, 0

    def _apply_updates(self) -> None:
        if not self.updates:
            return
        contacts = Contact.objects.in_bulk(list(self.updates))
        changed = set()
        for pk, data in self.updates.items():
            contact = contacts.get(pk)
            if contact is None:
                continue
            company = data.pop("_company", None)
            if company:
                data["account_id"] = self.accounts[company]
            custom = data.pop("_custom", None)
            if custom:
                contact.custom = {**(contact.custom or {}), **custom}
                changed.add("custom")
            for field, value in data.items():
                setattr(contact, field, value)
            changed.update(data)
        for contact in contacts.values():
            contact.updated = self.now
        update_rows(Contact, list(contacts.values()), sorted(changed | {"updated"}))
        self.counts["updated"] += len(contacts)
        self.updates = {}
