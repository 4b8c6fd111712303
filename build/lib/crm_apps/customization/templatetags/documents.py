"""Amounts and quantities on pages written the way documents write them, in the reader's
language: ``{{ amount|money:currency }}``, ``{{ quantity|quantity }}``."""

from django import template
from django.utils.translation import get_language

from crm_apps.customization import documents

register = template.Library()


def _language() -> str:
    return "zh-hans" if documents.is_chinese(get_language() or "") else "en"


@register.filter
def money(amount, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    return documents.format_money(amount, currency, _language())


@register.filter
def quantity(value) -> str:
    if value is None or value == "":
        return ""
    return documents.format_quantity(value, _language())
