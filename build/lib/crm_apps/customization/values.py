"""Custom field values: parsing what people and files type into the stored JSON form.

Stored forms (in the record's ``custom`` JSON, keyed by the field's code): text as a string,
number and money as a canonical decimal string (money never goes through float), date as
``YYYY-MM-DD``, choice as the choice's value, multiple choice as a sorted list of values.
A blank value is not stored at all.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm_apps.customization.models import CustomField

MAX_TEXT = 1000
MAX_DIGITS = 18
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y年%m月%d日", "%m/%d/%Y")
MULTI_SEPARATORS = re.compile(r"\s*[,;、，；|]\s*")
Type = CustomField.Type


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def parse(field: CustomField, raw):
    """The stored form of ``raw`` (from JSON, a form or a spreadsheet cell), or None for
    blank. Raises ValidationError with a message a person can act on."""
    if is_blank(raw):
        if field.required:
            raise ValidationError(_("This field is required."), code="required")
        return None
    parser = _PARSERS[field.type]
    return parser(field, raw)


def _text(field, raw):
    if not isinstance(raw, (str, int, float, Decimal)) or isinstance(raw, bool):
        raise ValidationError(_("Enter text."), code="invalid")
    value = str(raw).strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(_("Enter at most %(count)d characters.") % {"count": MAX_TEXT},
                              code="max_length")
    return value


def _decimal(field, raw):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ValidationError(_("Enter a number."), code="invalid")
    text = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
    if field.type == Type.MONEY and field.currency:
        text = text.removeprefix(field.currency).removesuffix(field.currency)
    text = text.lstrip("¥$€£￥")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number."), code="invalid") from None
    if not value.is_finite() or len(value.as_tuple().digits) > MAX_DIGITS:
        raise ValidationError(_("Enter a number."), code="invalid")
    if field.type == Type.MONEY:
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_("Use at most two decimal places."), code="invalid")
        return str(value.quantize(Decimal("0.01")))
    value = value.normalize()
    # normalize() writes 100 as 1E+2: keep plain digits.
    return format(value, "f")


def _date(field, raw):
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    if isinstance(raw, str):
        text = raw.strip()
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date().isoformat()  # noqa: DTZ007 - a date, no time zone
            except ValueError:
                continue
        # Spreadsheets write "2026-11-29 00:00:00" for a date cell.
        try:
            return datetime.datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            pass
    raise ValidationError(_("Enter a date such as 2026-11-29."), code="invalid")


def _match_choice(field, raw) -> str:
    text = str(raw).strip()
    lowered = text.lower()
    for choice in field.choices:
        names = (choice.get("value"), choice.get("label"), choice.get("label_zh_hans"))
        if any(name and str(name).lower() == lowered for name in names):
            return choice["value"]
    allowed = ", ".join(str(choice.get("value")) for choice in field.choices)
    raise ValidationError(_("“%(value)s” is not one of the choices: %(allowed)s.")
                          % {"value": text, "allowed": allowed}, code="invalid_choice")


def _choice(field, raw):
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise ValidationError(_("Choose one of the choices."), code="invalid")
    return _match_choice(field, raw)


def _multi_choice(field, raw):
    if isinstance(raw, str):
        items = [item for item in MULTI_SEPARATORS.split(raw.strip()) if item]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise ValidationError(_("Give a list of choices."), code="invalid")
    values = {_match_choice(field, item) for item in items if not is_blank(item)}
    if not values and field.required:
        raise ValidationError(_("This field is required."), code="required")
    return sorted(values) or None


_PARSERS = {Type.TEXT: _text, Type.NUMBER: _decimal, Type.MONEY: _decimal, Type.DATE: _date,
            Type.CHOICE: _choice, Type.MULTI_CHOICE: _multi_choice}


def display(field: CustomField, stored) -> str:
    """A stored value as a reader sees it (choice labels in their language)."""
    if stored is None or stored == "" or stored == []:
        return ""
    if field.type == Type.CHOICE:
        return field.choice_label(stored)
    if field.type == Type.MULTI_CHOICE:
        return ", ".join(field.choice_label(value) for value in stored)
    if field.type == Type.MONEY and field.currency:
        return f"{stored} {field.currency}"
    return str(stored)
