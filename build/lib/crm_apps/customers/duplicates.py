"""Finding likely duplicates of an account or contact: same e-mail, phone or company domain."""

import re

from django.db.models import F, Func, Q, Value

from crm_apps.customers.models import Account, Contact, domain_of
from crm_apps.customers.visibility import visible

MIN_PHONE_DIGITS = 6  # shorter numbers (extensions) match too much to mean anything


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _phone_digits(field: str):
    return Func(F(field), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")


def _phone_match(queryset, phone: str, *fields: str):
    number = digits(phone)
    if len(number) < MIN_PHONE_DIGITS:
        return queryset.none()
    annotated = queryset.annotate(**{f"{f}_digits": _phone_digits(f) for f in fields})
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}_digits": number})
    return annotated.filter(match)


def account_matches(*, name: str = "", website: str = "", phone: str = "",
                    exclude_pk=None) -> list[tuple[Account, str]]:
    """(account, reason) for live accounts sharing the domain, phone or exact name."""
    found: dict[int, tuple[Account, str]] = {}
    accounts = Account.objects.exclude(pk=exclude_pk) if exclude_pk else Account.objects.all()
    domain = domain_of(website)
    if domain:
        for account in accounts.filter(domain=domain):
            found.setdefault(account.pk, (account, "domain"))
    for account in _phone_match(accounts, phone, "phone"):
        found.setdefault(account.pk, (account, "phone"))
    if name.strip():
        for account in accounts.filter(name__iexact=name.strip()):
            found.setdefault(account.pk, (account, "name"))
    return list(found.values())


def contact_matches(*, email: str = "", phone: str = "", mobile: str = "",
                    exclude_pk=None) -> list[tuple[Contact, str]]:
    """(contact, reason) for live contacts sharing an e-mail address or a phone number."""
    found: dict[int, tuple[Contact, str]] = {}
    contacts = Contact.objects.exclude(pk=exclude_pk) if exclude_pk else Contact.objects.all()
    email = (email or "").strip().lower()
    if email:
        for contact in contacts.filter(Q(email__iexact=email) | Q(other_emails__contains=[email])):
            found.setdefault(contact.pk, (contact, "email"))
    for number in (phone, mobile):
        for contact in _phone_match(contacts, number, "phone", "mobile"):
            found.setdefault(contact.pk, (contact, "phone"))
    return list(found.values())


def split_by_visibility(matches, user):
    """The matches ``user`` may see, and how many others exist (their details stay hidden)."""
    if not matches:
        return [], 0
    model = type(matches[0][0])
    seen = set(visible(model.objects.filter(pk__in=[m.pk for m, _ in matches]), user)
               .values_list("pk", flat=True))
    shown = [(record, reason) for record, reason in matches if record.pk in seen]
    return shown, len(matches) - len(shown)
