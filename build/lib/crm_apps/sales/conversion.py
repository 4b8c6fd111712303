"""Converting a qualified lead into an account, a contact and an opportunity in one step."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_apps.customers.duplicates import account_matches, contact_matches, split_by_visibility
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.visibility import visible
from crm_apps.sales.models import Lead, Opportunity, Pipeline, Stage


class AlreadyConverted(Exception):
    """The lead was converted before; converting again would duplicate everything."""


class ConversionError(Exception):
    """Bad conversion input; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Conversion:
    lead: Lead
    account: Account | None
    contact: Contact
    opportunity: Opportunity
    created: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    # Records attached although the caller cannot see them: their names stay hidden.
    unseen: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        def ref(record, kind):
            if record is None:
                return None
            return {"id": record.pk, "name": "" if kind in self.unseen else str(record),
                    "created": kind in self.created}
        return {"lead": self.lead.pk, "status": self.lead.status,
                "account": ref(self.account, "account"),
                "contact": ref(self.contact, "contact"),
                "opportunity": {**ref(self.opportunity, "opportunity"),
                                "pipeline": self.opportunity.pipeline_id,
                                "stage": self.opportunity.stage_id,
                                "amount": str(self.opportunity.amount)},
                "created": self.created, "attached": self.attached}


def _best(matches, user, *reasons):
    """The first match by reason order, preferring those ``user`` can see; and whether the
    chosen one is hidden from them (attaching to it still beats a duplicate)."""
    shown, _hidden = split_by_visibility(matches, user)
    record = _first(shown, *reasons)
    if record is not None:
        return record, False
    record = _first(matches, *reasons)
    return record, record is not None


def _first(matches, *reasons):
    for reason in reasons:
        for record, why in matches:
            if why == reason:
                return record
    return None


def _stage_for(pipeline_id, stage_id, errors):
    pipeline = (Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id
                else Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first())
    if pipeline is None:
        errors["pipeline"] = [_("No such pipeline.")]
        return None, None
    if stage_id:
        stage = Stage.objects.filter(pk=stage_id, pipeline=pipeline).first()
        if stage is None:
            errors["stage"] = [_("Choose a stage of the opportunity's pipeline.")]
    else:
        stage = pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("position").first()
        if stage is None:
            errors["stage"] = [_("The pipeline has no open stage.")]
    return pipeline, stage


def convert(lead_id: int, user, *, account_id: int | None = None,
            opportunity_name: str = "", amount: Decimal | None = None,
            expected_close: date | None = None, pipeline_id: int | None = None,
            stage_id: int | None = None) -> Conversion:
    """Convert the lead ``user`` can see, attaching to existing records instead of duplicating.

    The account is the one the caller chose, else one with the lead's website domain or
    company name, else a new one; the contact one with the lead's e-mail or phone, else a new
    one. All or nothing: any error leaves the lead and every record as they were.
    """
    with transaction.atomic():
        # The lock makes a second, simultaneous conversion wait and then see "converted".
        lead = visible(Lead.objects.select_for_update(of=("self",)), user).get(pk=lead_id)
        if lead.status == Lead.Status.CONVERTED:
            raise AlreadyConverted
        errors: dict = {}
        if lead.status != Lead.Status.QUALIFIED:
            errors["status"] = [_("Qualify the lead before converting it.")]
        chosen = None
        if account_id is not None:
            chosen = visible(Account.objects.all(), user).filter(pk=account_id).first()
            if chosen is None:
                errors["account"] = [_("No such account.")]
        pipeline, stage = _stage_for(pipeline_id, stage_id, errors)
        if amount is not None and amount < 0:
            errors["amount"] = [_("The amount cannot be negative.")]
        if errors:
            raise ConversionError(errors)

        created, attached, unseen = [], [], set()
        owner = lead.owner or user
        account = chosen
        if account is None:
            account, hidden = _best(account_matches(name=lead.company, website=lead.website),
                                    user, "domain", "name")
            if hidden:
                unseen.add("account")
        if account is not None:
            attached.append("account")
        elif lead.company.strip():
            account = Account.objects.create(
                name=lead.company.strip(), website=lead.website, industry=lead.industry,
                country=lead.country, region=lead.region, territory=lead.territory,
                owner=owner, team=lead.team)
            created.append("account")

        contact, hidden = _best(contact_matches(email=lead.email, phone=lead.phone), user,
                                "email", "phone")
        if hidden:
            unseen.add("contact")
        if contact is not None:
            attached.append("contact")
            if contact.account_id is None and account is not None:
                contact.account = account
                contact.save(update_fields=["account", "updated"])
        else:
            contact = Contact.objects.create(
                first_name=lead.first_name, last_name=lead.last_name, email=lead.email,
                phone=lead.phone, title=lead.title, account=account, owner=owner,
                team=lead.team)
            created.append("contact")

        opportunity = Opportunity.objects.create(
            name=(opportunity_name.strip() or lead.company.strip() or str(lead))[:200],
            account=account, contact=contact, lead=lead, pipeline=pipeline, stage=stage,
            amount=amount if amount is not None else Decimal("0"),
            currency=pipeline.currency, expected_close=expected_close,
            owner=owner, team=lead.team)
        created.append("opportunity")

        lead.status = Lead.Status.CONVERTED
        lead.converted_at = timezone.now()
        lead.account = account
        lead.contact = contact
        lead.save(update_fields=["status", "converted_at", "account", "contact", "updated"])
    return Conversion(lead, account, contact, opportunity, created, attached, unseen)
