"""Keeping the search columns of services up to date.

``search_text`` (plain, unaccented, lowercased: name, themes, structure, commune) serves the
trigram typo tolerance; ``search_vector`` is the weighted French full-text vector, computed
by PostgreSQL with the ``maillage_fr`` configuration (french stemming over unaccent) created
by migration directory 0002.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from maillage.territory.text import normalize_search

from .enums import THEMATIQUE_LABELS

SEARCH_CONFIG = "maillage_fr"


def search_text_for(*, name: str, thematiques: Iterable[str], structure_name: str, extra: str = "") -> str:
    labels = " ".join(THEMATIQUE_LABELS.get(code, code) for code in thematiques)
    return normalize_search(f"{name} {labels} {structure_name} {extra}")[:2000]


VECTOR_SQL = f"""
    setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(s.name, '')), 'A')
    || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce(s.search_text, '')), 'B')
    || setweight(to_tsvector('{SEARCH_CONFIG}', left(coalesce(s.description, ''), 20000)), 'C')
"""  # noqa: S608 - constant


def refresh_search_vectors(service_ids: Iterable[int] | None = None) -> int:
    """Recompute ``search_vector`` from the row's columns, for some services or for all."""
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute(f"UPDATE directory_service s SET search_vector = {VECTOR_SQL}")  # noqa: S608
        else:
            ids = list(service_ids)
            if not ids:
                return 0
            cursor.execute(
                f"UPDATE directory_service s SET search_vector = {VECTOR_SQL} WHERE s.id = ANY(%s)",  # noqa: S608
                [ids],
            )
        return cursor.rowcount


PENDING_LIST_INDEXES = ("search_index_vector_idx", "search_index_themes_idx", "search_word_trgm_idx")


def merge_pending_lists() -> None:
    """Merge the GIN pending lists of the search tables after a bulk write (import, generator).

    Inserts go to each GIN index's pending list, which is fast; a search reads that list in
    full, so bulk writers merge it at once instead of waiting for autovacuum.
    """
    with connection.cursor() as cursor:
        for name in PENDING_LIST_INDEXES:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
