"""Every public text is translated in every language of the portal, and says if a human reviewed it."""

import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import portal_messages  # noqa: E402

OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code not in ("en", "fr")]


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_portal_text_is_translated(lang):
    po = portal_messages.catalogue(lang)
    entries = portal_messages.portal_entries(po)
    assert len(entries) > 150
    missing = [e.msgid for e in entries if portal_messages.needs_work(e)]
    assert missing == []
    assert (ROOT / "locale" / lang / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_unreviewed_translations_are_marked_in_the_catalogue(lang):
    po = portal_messages.catalogue(lang)
    for entry in portal_messages.portal_entries(po):
        if portal_messages.UNREVIEWED not in (entry.tcomment or ""):
            # A reviewed entry is one a translator unmarked: nothing to check then.
            continue
        assert entry.translated()


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for lang in ["fr", *OTHER_LANGUAGES]:
        for entry in portal_messages.portal_entries(portal_messages.catalogue(lang)):
            if entry.translated() and not entry.msgid_plural:
                assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), (
                    lang,
                    entry.msgid,
                )
