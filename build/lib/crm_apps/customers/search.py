"""Text search over accounts and contacts, written in the exact shapes the indexes hold.

Migration 0004 indexes the same SQL expressions these conditions compare (the planner uses an
expression index only for an identical expression):

- three characters or more: substring match (``ILIKE '%...%'``), served by trigram GIN indexes
  where PostgreSQL has pg_trgm; Chinese needs this, having no word boundaries to stem;
- one or two characters (a Chinese family name such as 张, or a whole name such as 张伟) have no
  trigram to look up, so they match the start of a contact's name instead, served by btree
  ``text_pattern_ops`` indexes; account names (far fewer rows) are still searched anywhere
  in the name, by a scan;
- phone numbers compare digits only, so "+86 138-0000" finds "+8613800001234".

Without pg_trgm (an embedded server) the same queries run, as sequential scans.
"""

import re

from django.db.models import BooleanField, F, Func, Q, TextField, Value

from crm_apps.customers.models import Account

# pg_trgm needs three characters for a trigram; shorter queries go to the prefix indexes.
TRIGRAM_LENGTH = 3
PHONE_LIKE = re.compile(r"^[\d\s\-+().]+$")


class ILike(Func):
    """``expression ILIKE pattern``: pg_trgm's index serves ILIKE itself, whereas Django's
    ``icontains`` wraps the column in UPPER(), which no trigram index holds."""

    template = "%(expressions)s"
    arg_joiner = " ILIKE "
    output_field = BooleanField()


class Like(Func):
    """``expression LIKE pattern`` (prefix patterns, on ``text_pattern_ops`` indexes)."""

    template = "%(expressions)s"
    arg_joiner = " LIKE "
    output_field = BooleanField()


class SqlExpression(Func):
    """A fixed SQL expression over columns, e.g. ``lower(%(last_name)s || %(first_name)s)``:
    written out literally (no parameters) so that it is the very expression the index holds."""

    output_field = TextField()

    def __init__(self, sql: str, *columns: str):
        super().__init__(*(F(column) for column in columns))
        self.sql, self.columns = sql, columns

    def as_sql(self, compiler, connection, **extra_context):
        compiled = {}
        params = []
        for column, expression in zip(self.columns, self.get_source_expressions(), strict=True):
            sql, column_params = compiler.compile(expression)
            compiled[column] = sql
            params.extend(column_params)
        return self.sql % compiled, params


# The indexed expressions (migration 0004 creates the indexes on these very texts).
CONTACT_NAMES = ("replace(%(first_name)s || %(last_name)s || '|' || %(last_name)s "
                 "|| %(first_name)s, ' ', '')")
EASTERN_NAME_PREFIX = "lower(%(last_name)s || %(first_name)s)"
WESTERN_NAME_PREFIX = "lower(%(first_name)s || %(last_name)s)"
DIGITS = "regexp_replace(%(column)s, '[^0-9]', '', 'g')"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(expression, text: str) -> ILike:
    return ILike(expression, Value(f"%{escape_like(text)}%"))


def starts_with(expression, text: str) -> Like:
    return Like(expression, Value(f"{escape_like(text.lower())}%"))


def column(sql: str, name: str) -> SqlExpression:
    return SqlExpression(sql.replace("%(column)s", f"%({name})s"), name)


def phone_digits(value: str) -> str:
    """The digits of a query that looks like a phone number (and has enough of them)."""
    if not PHONE_LIKE.match(value):
        return ""
    digits = re.sub(r"\D", "", value)
    return digits if len(digits) >= TRIGRAM_LENGTH else ""


def any_of(conditions: list) -> Q:
    """OR of ``conditions``; no condition at all matches nothing (every field hidden)."""
    if not conditions:
        return Q(pk__in=[])
    combined = Q()
    for condition in conditions:
        combined |= condition if isinstance(condition, Q) else Q(condition)
    return combined


def account_conditions(value: str, hidden: frozenset[str]) -> list:
    """Conditions on an account's own columns, leaving out hidden ones."""
    conditions = []
    # Substring match even for one or two characters ("科技" inside a company name): those
    # scan the accounts, a table far smaller than the contacts.
    if "name" not in hidden:
        conditions.append(contains(F("name"), value))
    if "website" not in hidden:  # the domain is the website's host
        conditions.append(contains(F("domain"), value))
    digits = phone_digits(value)
    if digits and "phone" not in hidden:
        conditions.append(contains(column(DIGITS, "phone"), digits))
    return conditions


def search_accounts(queryset, value: str, hidden: frozenset[str]):
    """Accounts by name, domain (website) or phone, leaving out fields hidden from the user."""
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(any_of(account_conditions(value, hidden)))


def search_contacts(queryset, value: str, hidden: frozenset[str],
                    account_hidden: frozenset[str] = frozenset()):
    """Contacts by whole name in either order, e-mail, phone or mobile, or account name,
    leaving out fields hidden from the user (``account_hidden``: those of accounts)."""
    value = value.strip()
    if not value:
        return queryset
    compact = "".join(value.split())  # "Ada Lovelace" -> "AdaLovelace", as the index holds
    short = len(compact) < TRIGRAM_LENGTH
    names_shown = not {"first_name", "last_name"} & hidden
    conditions = []
    if short:
        if names_shown:
            conditions += [
                starts_with(SqlExpression(EASTERN_NAME_PREFIX, "last_name", "first_name"),
                            compact),
                starts_with(SqlExpression(WESTERN_NAME_PREFIX, "first_name", "last_name"),
                            compact)]
    else:
        if names_shown:
            conditions.append(contains(
                SqlExpression(CONTACT_NAMES, "first_name", "last_name"), compact))
        for name in ("first_name", "last_name"):  # one name alone when the other is hidden
            if not names_shown and name not in hidden:
                conditions.append(contains(F(name), value))
        if "email" not in hidden:
            conditions.append(contains(F("email"), value))
        digits = phone_digits(value)
        for name in ("phone", "mobile"):
            if digits and name not in hidden:
                conditions.append(contains(column(DIGITS, name), digits))
    if "account" not in hidden and "name" not in account_hidden:
        account_name = contains(F("name"), value)  # as in account_conditions
        # Looked up first: a list of ids is something the planner can estimate and serve
        # with the account_id index; a subquery in the OR would make it guess, and a bad
        # guess walks the whole table in id order hoping to fill a page early.
        account_ids = list(Account.everything.filter(account_name).values_list("pk", flat=True))
        if account_ids:
            conditions.append(Q(account_id__in=account_ids))
    return queryset.filter(any_of(conditions))
