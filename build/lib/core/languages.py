"""Texts a tenant writes in both languages: the one for the reader's language."""

from django.utils.translation import get_language


def reads_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def in_reader_language(english: str, chinese: str) -> str:
    """``chinese`` for a Chinese reader when the tenant wrote one, else ``english``."""
    return (reads_chinese() and chinese) or english
