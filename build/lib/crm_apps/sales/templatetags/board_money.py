"""Money and counts on the sales board, grouped by thousands as the reader's language writes
them."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language

register = template.Library()

# Separators per language (the first part of its code): (thousands, decimal). Chinese finance
# writes 1,234,567.00 like English, so Django's zh-hans number format (no separator, groups of
# four) is not used here; board.js formats live updates with Intl.NumberFormat, which writes
# both languages the same way.
SEPARATORS = {"en": (",", "."), "zh": (",", ".")}


def _separators(language: str | None) -> tuple[str, str]:
    code = (language or get_language() or "en").split("-")[0].lower()
    return SEPARATORS.get(code, SEPARATORS["en"])


def format_amount(value, language: str | None = None) -> str:
    """``value`` with two decimals and thousands grouped: "1,234,567.00"; "" if not a number."""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    thousands, decimal = _separators(language)
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return whole.replace(",", thousands) + decimal + cents


def format_count(value, language: str | None = None) -> str:
    """A whole number with thousands grouped: "20,000"; "" if not a whole number."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{number:,}".replace(",", _separators(language)[0])


@register.filter
def amount(value) -> str:
    return format_amount(value)


@register.filter
def count(value) -> str:
    return format_count(value)
