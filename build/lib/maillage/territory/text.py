"""Text normalisation shared by the territory loader, the search and the build script.

This module must stay free of Django imports: ``scripts/build_territory_data.py``
imports it without configuring Django.
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’‘`´]+")


def normalize_search(text: str) -> str:
    """Return ``text`` lowercased, without accents, hyphens/apostrophes as single spaces.

    >>> normalize_search("Fâches-Thumesnil")
    'faches thumesnil'
    >>> normalize_search("  L'Haÿ-les-Roses ")
    'l hay les roses'
    """
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", stripped.lower()).strip()
