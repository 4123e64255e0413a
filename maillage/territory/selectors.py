"""Read-side queries of the territory referential."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils.translation import gettext as _

from maillage.territory.models import Commune, Department
from maillage.territory.text import normalize_search

__all__ = ["commune_search", "normalize_search", "normalize_query"]

# Digits only (postal code or INSEE code prefix) or a Corsican INSEE code.
_CODE_QUERY = re.compile(r"\d{1,5}|2[ab]\d{3}")
# Usual abbreviations in commune names, expanded before matching.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize_query(text: str) -> str:
    """Normalise a user query like ``search_name`` and expand "St"/"Ste" abbreviations."""
    words = normalize_search(text).split(" ")
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def commune_search(*, query: str) -> QuerySet[Commune]:
    """Communes matching ``query``, best match first, with their department joined.

    * 1 to 5 digits (or a Corsican ``2A…``/``2B…`` code): communes with a postal
      code starting with it, or whose INSEE code equals it. Exact postal/INSEE
      matches come first, then by population.
    * Otherwise: ``search_name`` contains the normalised query, or is
      trigram-similar to it (pg_trgm ``%``, threshold 0.3, which tolerates typos).
      Exact name first, then names starting with the query, then names
      containing it, then fuzzy matches; ties by population (largest first).

    The result is a single SQL query; an empty query gives no commune.
    """
    base = Commune.objects.select_related("department")
    raw = query.strip()
    if _CODE_QUERY.fullmatch(raw.lower()):
        code = raw.upper()
        postal_text = Func(F("postal_codes"), Value(" "), function="array_to_string", output_field=TextField())
        return (
            base.annotate(_postal_text=postal_text)
            .filter(Q(_postal_text__startswith=code) | Q(_postal_text__contains=f" {code}") | Q(code=code))
            .annotate(
                _rank=Case(
                    When(Q(code=code) | Q(postal_codes__contains=[code]), then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("_rank", F("population").desc(nulls_last=True), "name", "code")
        )

    normalized = normalize_query(raw)
    if not normalized:
        return base.none()
    return (
        base.filter(Q(search_name__contains=normalized) | Q(search_name__trigram_similar=normalized))
        .annotate(
            _rank=Case(
                When(search_name=normalized, then=Value(0)),
                When(search_name__startswith=normalized, then=Value(1)),
                When(search_name__contains=normalized, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("_rank", F("population").desc(nulls_last=True), "name", "code")
    )


def departments_from_codes(codes: Iterable[str], *, field: str = "departments") -> list[Department]:
    """The departments with these INSEE codes; a ValidationError on ``field`` names unknown ones."""
    wanted = sorted(set(codes))
    found = list(Department.objects.filter(code__in=wanted))
    missing = set(wanted) - {d.code for d in found}
    if missing:
        raise ValidationError(
            {field: _("Unknown department code(s): %(codes)s") % {"codes": ", ".join(sorted(missing))}}
        )
    return found


def commune_from_code(code: str | None, *, field: str = "commune") -> Commune | None:
    """The commune with this INSEE code (None for no code); a ValidationError on ``field`` if unknown."""
    if not code:
        return None
    commune = Commune.objects.filter(code=str(code)).first()
    if commune is None:
        raise ValidationError({field: _("Unknown commune code: %(code)s") % {"code": code}})
    return commune
