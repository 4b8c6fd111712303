"""The Simplified Chinese catalogue is complete: no empty or fuzzy translation."""

import gettext
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
    """Every message of the .po file is in the committed .mo (run `make messages` if not)."""
    with CATALOGUE.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled}
    # Messages with a context are stored as "context\x04message".
    compiled_ids |= {key.split("\x04", 1)[1] for key in compiled_ids if "\x04" in key}
    source = CATALOGUE.read_text(encoding="utf-8")
    for block in source.split("\n\n")[1:]:
        match = re.search(r'^msgid ((?:".*"\n)+)', block + "\n", re.MULTILINE)
        msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
        msgid = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert msgid in compiled_ids, msgid
