"""The lead importer: rows to leads in batches, duplicates by e-mail, rules applied per batch."""

import re

from celery import shared_task
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_apps.customers import import_base, imports
from crm_apps.customers.import_base import (
    CustomColumns,
    ImportKind,
    RowError,
    staff_by_email,
    update_rows,
    visible_ids,
)
from crm_apps.sales import prediction, scoring
from crm_apps.sales.assignment import announce_in_bulk, assign_in_bulk
from crm_apps.sales.lead_signals import suspended
from crm_apps.sales.models import Lead

FIELDS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "company": _("Company"),
    "title": _("Job title"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "website": _("Website"),
    "industry": _("Industry"),
    "country": _("Country (ISO code)"),
    "region": _("Region"),
    "source": _("Source"),
    "campaign": _("Campaign"),
    "status": _("Status"),
    "disqualified_reason": _("Reason for disqualifying"),
    "owner": _("Owner (e-mail of a colleague)"),
}
# Header names (normalised: lower case, no spaces or punctuation) each field is suggested for.
ALIASES = {
    "first_name": {"firstname", "givenname", "forename", "first", "名", "名字"},
    "last_name": {"lastname", "surname", "familyname", "last", "姓", "姓氏"},
    "company": {"company", "companyname", "account", "organization", "organisation",
                "employer", "公司", "公司名称", "单位", "企业", "企业名称"},
    "title": {"title", "jobtitle", "position", "role", "职位", "职务", "头衔", "职称"},
    "email": {"email", "emailaddress", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址",
              "电子邮件地址"},
    "phone": {"phone", "telephone", "tel", "phonenumber", "mobile", "电话", "电话号码", "手机",
              "手机号", "手机号码", "联系电话"},
    "website": {"website", "web", "url", "homepage", "site", "网站", "网址", "官网", "主页"},
    "industry": {"industry", "sector", "行业", "所属行业"},
    "country": {"country", "countrycode", "国家", "国家代码", "国家地区"},
    "region": {"region", "state", "province", "county", "省", "省份", "地区", "州"},
    "source": {"source", "leadsource", "来源", "线索来源"},
    "campaign": {"campaign", "campaignname", "市场活动", "活动", "推广活动"},
    "status": {"status", "leadstatus", "状态", "线索状态"},
    "disqualified_reason": {"disqualifiedreason", "reason", "不合格原因", "原因"},
    "owner": {"owner", "leadowner", "负责人", "所有者", "归属人"},
}
TEXT_FIELDS = ("first_name", "last_name", "company", "title", "email", "phone", "industry",
               "region", "campaign", "disqualified_reason")
MAX_LENGTHS = {name: Lead._meta.get_field(name).max_length for name in (*TEXT_FIELDS, "website")}
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
IMPORTABLE_STATUSES = [code for code in Lead.Status.values if code != Lead.Status.CONVERTED]

LEADS = ImportKind(
    code="leads", model=Lead, job_kind="lead-import", fields=FIELDS, aliases=ALIASES,
    needs_one_of=("email", "first_name", "last_name", "company"),
    needs_message=_("Map at least one of the e-mail, first name, last name or company "
                    "columns."),
    unknown_message=_("Unknown lead field(s): {fields}. Choose from: {choices}."),
    title=_("Import leads: {name}"), check_title=_("Check lead import: {name}"),
    mapping_key="sales:lead-import-mapping",
)


def _choice_lookup(choices) -> dict:
    """Codes and labels (English and Chinese), lower case → code."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in choices:
                lookup[code] = code
                lookup[str(label).lower()] = code
    return lookup


class LeadImporter:
    """Turns rows into leads in batches: lookups read once, no query per row. A row is a
    duplicate of a live lead (or an earlier row) with the same e-mail address. New leads
    without an owner column get theirs from the assignment rules, read once per batch, and
    every new or updated lead is scored in bulk; the per-save signals stay quiet meanwhile."""

    def __init__(self, *, user, mapping: dict, headers: list[str], duplicates: str, progress):
        self.user, self.duplicates, self.progress = user, duplicates, progress
        self.columns = [(field, headers.index(column)) for column, field in mapping.items()]
        self.custom = CustomColumns(LEADS, user, self.columns)
        self.columns = [(field, index) for field, index in self.columns if field in FIELDS]
        fields = {field for field, _index in self.columns}
        self.statuses = _choice_lookup(Lead.Status.choices)
        self.sources = _choice_lookup(Lead.Source.choices)
        self.staff = staff_by_email() if "owner" in fields else {}
        self.existing: dict[str, int] = {}  # e-mail → pk of a live lead
        self.converted: set[int] = set()
        if duplicates != "create":
            for pk, email, status in Lead.objects.exclude(email="").values_list(
                    "pk", "email", "status").order_by("pk"):
                self.existing.setdefault(email.lower(), pk)
                if status == Lead.Status.CONVERTED:
                    self.converted.add(pk)
        self.visible = visible_ids(Lead, user) if duplicates == "update" else None
        self.rules = scoring.rules()  # read once for the whole import
        self.new_leads: list[Lead] = []
        self.pending: dict[str, Lead] = {}  # e-mail → new lead of this batch
        self.updates: dict[int, dict] = {}  # pk → fields, for existing leads
        self.in_batch = 0
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0, "assigned": 0}

    def _choice(self, values: dict, field: str, lookup: dict, allowed) -> None:
        raw = values.get(field, "")
        if not raw:
            return
        code = lookup.get(raw.strip().lower())
        if code not in allowed:
            raise RowError(format_lazy(_("“{value}” is not a {field}. Choose from: {choices}."),
                                       value=raw, field=str(FIELDS[field]).lower(),
                                       choices=", ".join(allowed)), field=field)
        values[field] = code

    def clean(self, cells: list[str]) -> dict:
        values = {field: cells[index].strip() for field, index in self.columns}
        for field, limit in MAX_LENGTHS.items():
            if len(values.get(field, "")) > limit:
                raise RowError(format_lazy(_("{field} is longer than {limit} characters."),
                                           field=FIELDS[field], limit=limit), field=field)
        if values.get("email"):
            values["email"] = values["email"].lower()
            try:
                validate_email(values["email"])
            except ValidationError as exc:
                raise RowError(format_lazy(_("“{value}” is not a valid e-mail address."),
                                           value=values["email"]), field="email") from exc
        if not any(values.get(name) for name in ("first_name", "last_name", "company",
                                                   "email")):
            raise RowError(_("The row has no name, company or e-mail address."))
        if values.get("website"):
            website = values["website"]
            if "://" not in website:
                website = f"https://{website}"
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError as exc:
                raise RowError(format_lazy(_("“{value}” is not a web address."),
                                           value=values["website"]), field="website") from exc
            values["website"] = website
        if values.get("country"):
            if not COUNTRY.match(values["country"]):
                raise RowError(format_lazy(_("“{value}” is not a two-letter country code, "
                                             "such as CN."), value=values["country"]),
                               field="country")
            values["country"] = values["country"].upper()
        self._choice(values, "status", self.statuses, IMPORTABLE_STATUSES)
        self._choice(values, "source", self.sources, Lead.Source.values)
        if values.get("status") == Lead.Status.DISQUALIFIED and not values.get(
                "disqualified_reason"):
            raise RowError(_("A disqualified lead needs a reason for disqualifying."),
                           field="disqualified_reason")
        if values.get("owner"):
            owner = self.staff.get(values["owner"].lower())
            if owner is None:
                raise RowError(format_lazy(_("No colleague has the e-mail address “{value}”."),
                                           value=values["owner"]), field="owner")
            values["owner"] = owner
        return values

    @staticmethod
    def _lead_fields(values: dict, *, new: bool) -> dict:
        """Model attributes; an update keeps what blank cells would wipe."""
        data = {field: value for field, value in values.items()
                if field != "owner" and (value or (new and field not in ("status", "source")))}
        if values.get("owner"):
            data["owner_id"] = values["owner"]
        if new and not data.get("source"):
            data["source"] = Lead.Source.IMPORT
        if data.get("status") and data["status"] != Lead.Status.DISQUALIFIED:
            data["disqualified_reason"] = ""
        return data

    def add(self, cells: list[str]) -> None:
        values = self.clean(cells)
        email = values.get("email", "")
        target = None
        if email and self.duplicates != "create":
            target = self.pending.get(email) or self.existing.get(email)
        custom = self.custom.parse(cells, new=target is None)
        if target is not None and self.duplicates == "skip":
            self.counts["skipped"] += 1
        elif isinstance(target, Lead):  # a lead added earlier in this batch
            for field, value in self._lead_fields(values, new=False).items():
                setattr(target, field, value)
            target.custom.update(custom)
        elif target is not None:
            if target in self.converted:
                raise RowError(_("A converted lead with this e-mail address exists; it "
                                 "cannot be changed."), field="email")
            if self.visible is not None and target not in self.visible:
                raise RowError(_("A lead with this e-mail address exists, but it is not "
                                 "yours to change."), field="email")
            update = self.updates.setdefault(target, {})
            update.update(self._lead_fields(values, new=False))
            if custom:
                update.setdefault("_custom", {}).update(custom)
        else:
            lead = Lead(**self._lead_fields(values, new=True), custom=custom)
            self.new_leads.append(lead)
            if email:
                self.pending[email] = lead
        self.in_batch += 1
        if self.in_batch >= import_base.BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        with suspended():
            assigned = assign_in_bulk(self.new_leads)
            for lead in self.new_leads:
                if lead.owner_id is None:
                    lead.owner_id = self.user.pk  # no rule matched: the importer owns it
            scoring.score_in_bulk(self.new_leads, self.rules)
            prediction.predict_in_bulk(self.new_leads)
            Lead.objects.bulk_create(self.new_leads, batch_size=import_base.BATCH_SIZE)
            self._apply_updates()
        if assigned:
            # Sent once the import commits (notify waits for the transaction).
            announce_in_bulk(assigned)
        for lead in self.new_leads:
            if lead.email:
                self.existing.setdefault(lead.email, lead.pk)
            if self.visible is not None:
                self.visible.add(lead.pk)
        self.counts["created"] += len(self.new_leads)
        self.counts["assigned"] += len(assigned)
        self.progress.advance(self.in_batch)
        self.new_leads, self.pending, self.in_batch = [], {}, 0

    def _apply_updates(self) -> None:
        if not self.updates:
            return
        leads = Lead.objects.in_bulk(list(self.updates))
        changed = set()
        for pk, data in self.updates.items():
            lead = leads.get(pk)
            if lead is None:
                continue
            custom = data.pop("_custom", None)
            if custom:
                lead.custom = {**(lead.custom or {}), **custom}
                changed.add("custom")
            for field, value in data.items():
                setattr(lead, field, value)
            changed.update(data)
            lead.updated = timezone.now()
        scoring.score_in_bulk(list(leads.values()), self.rules)
        prediction.predict_in_bulk(list(leads.values()))
        update_rows(Lead, list(leads.values()),
                    sorted(changed | {"updated", "score", "predicted_score"}))
        self.counts["updated"] += len(leads)
        self.updates = {}


@shared_task(name="sales.import_leads")
def import_leads(job_id: str, *, language: str = "", **options) -> dict:
    """The lead import job: messages in the language of the user who started it."""
    with translation.override(language or None):
        return import_base.run_import(LEADS, LeadImporter, job_id, **options)


def register() -> None:
    """Offer leads on the import page and API (called once, when the app is ready)."""
    imports.register(LEADS, import_leads)

