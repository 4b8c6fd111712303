"""Assigning accounts to territories: the first territory (by position) whose criteria match."""

from collections import defaultdict

from crm_apps.customers.models import Account
from crm_apps.forecast.models import Territory


def _folded(values) -> set[str]:
    return {value.strip().casefold() for value in values if value and value.strip()}


class Matcher:
    """The tenant's territories read once, matched in order against many accounts."""

    def __init__(self, territories=None):
        rows = territories if territories is not None else Territory.objects.order_by(
            "position", "id")
        self.rules = [(territory.name, _folded(territory.regions), _folded(territory.countries),
                       _folded(territory.industries)) for territory in rows]

    def __bool__(self):
        return bool(self.rules)

    def territory_for(self, *, region: str = "", country: str = "", industry: str = "") -> str:
        """The matching territory's name, or "" when none matches. An empty criterion list
        matches any value; a non-empty one needs the account's value (case-insensitive)."""
        values = (region.strip().casefold(), country.strip().casefold(),
                  industry.strip().casefold())
        for name, *criteria in self.rules:
            if all(not allowed or value in allowed for allowed, value in zip(criteria, values,
                                                                              strict=True)):
                return name
        return ""


def reassign(accounts=None) -> int:
    """Set ``Account.territory`` from the territories for ``accounts`` (default: every live
    account); returns how many changed. Without any territory nothing is touched, so names
    typed by hand before territories were set up are kept."""
    matcher = Matcher()
    if not matcher:
        return 0
    queryset = Account.objects.all() if accounts is None else accounts
    changes = defaultdict(list)
    rows = queryset.values_list("pk", "region", "country", "industry", "territory")
    for pk, region, country, industry, current in rows.iterator(chunk_size=2000):
        name = matcher.territory_for(region=region, country=country, industry=industry)
        if name != current:
            changes[name].append(pk)
    # One UPDATE per territory rather than one per account; no save() so no audit entry per
    # row and no signal work: a reassignment is a bulk maintenance operation.
    for name, pks in changes.items():
        Account.everything.filter(pk__in=pks).update(territory=name)
    return sum(len(pks) for pks in changes.values())
