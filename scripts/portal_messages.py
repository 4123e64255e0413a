"""List the public portal's entries of a gettext catalogue that still need a translation.

    .venv/bin/python scripts/portal_messages.py ro        # untranslated or fuzzy portal entries
    .venv/bin/python scripts/portal_messages.py ro --all  # every portal entry

The public pages (rights portal, layout, error pages, form errors, language names) must be
translated in every language of settings.LANGUAGES; the professional pages only in French.
tests/rights/test_catalogues.py checks the same list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PORTAL_SOURCES = (
    "maillage/rights/",
    "maillage/templates/base.html",
    "maillage/templates/404.html",
    "maillage/templates/500.html",
    "maillage/templates/includes/",
    "config/settings/",
    # The consent sheet is printed in the person's language.
    "maillage/pathways/templates/pathways/consent/sheet.html",
    "maillage/pathways/consent_texts.py",
)
UNREVIEWED = "Not reviewed by a human translator."


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


def portal_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and any(path.startswith(PORTAL_SOURCES) for path, _ in e.occurrences)]


def needs_work(entry: polib.POEntry) -> bool:
    return "fuzzy" in entry.flags or not entry.translated()


def main() -> None:
    lang, every = sys.argv[1], "--all" in sys.argv
    for entry in portal_entries(catalogue(lang)):
        if every or needs_work(entry):
            print(
                f"{entry.occurrences[0][0]}\t{entry.msgid!r}"
                + (f"\tplural={entry.msgid_plural!r}" if entry.msgid_plural else "")
            )


if __name__ == "__main__":
    main()
