"""The Simplified Chinese catalogue is complete: no empty or fuzzy translation."""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "core/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_message_is_translated():
    entries = CATALOGUE.read_text(encoding="utf-8").split("\n\n")[1:]  # skip the header
    assert len(entries) > 100
    for entry in entries:
        assert "#, fuzzy" not in entry, entry
        translations = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n")
        assert translations, entry
        for text in translations:
            assert "".join(re.findall(r'"(.*)"', text)).strip(), entry


def test_compiled_catalogue_is_current():
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime - 1
