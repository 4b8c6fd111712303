"""Oscar's partner models; a stock record's currency defaults to the tenant shop's currency."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from oscar.apps.partner.abstract_models import AbstractStockRecord

from store.partner.currency import tenant_currency


class StockRecord(AbstractStockRecord):
    # Oscar's default is OSCAR_DEFAULT_CURRENCY, one setting for every tenant.
    price_currency = models.CharField(_("Currency"), max_length=12, default=tenant_currency)


from oscar.apps.partner.models import *  # noqa: E402, F403 - Oscar's fork pattern
