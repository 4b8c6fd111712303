"""Pages of long lists: the page's ids first, from the sort index alone, then its rows."""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class IdsFirstPaginator(Paginator):
    """A Django paginator whose pages cost the same near the end of a long list as at its start.

    An OFFSET skips rows one by one; skipping whole rows (every column, the joined owner, team
    and account) made the middle page of 100,000 contacts cost 350 ms. Skipping entries of the
    sort index (an index-only scan, migration 0004) costs a few milliseconds; only the page's
    own rows are then read, in the same order. Always two queries, whatever the page or size.
    """

    def page(self, number):
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # LIMIT a whole page even when fewer rows are left: with a LIMIT of one or two the
        # planner bets on walking the sort index until a match turns up, a losing bet for a
        # search that matches a handful of rows among 100,000.
        ids = list(self.object_list.values_list("pk", flat=True)[
            bottom:bottom + self.per_page + self.orphans])[:top - bottom]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)
