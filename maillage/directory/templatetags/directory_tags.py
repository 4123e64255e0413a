"""Template helpers of the directory: labels of the codes stored in the entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from .. import enums

register = template.Library()

_LABELS: dict[str, dict[str, Any]] = {
    "thematique": enums.THEMATIQUE_LABELS,
    "language": enums.LANGUAGE_LABELS,
    "public": dict(enums.PUBLIC_CHOICES),
    "type": dict(enums.TYPE_SERVICE_CHOICES),
    "fees": dict(enums.FRAIS_CHOICES),
    "mode": dict(enums.MODE_ACCUEIL_CHOICES),
    "referral_mode": dict(enums.MODE_MOBILISATION_CHOICES),
    "referral_by": dict(enums.PERSONNE_MOBILISATRICE_CHOICES),
    "network": dict(enums.RESEAU_PORTEUR_CHOICES),
    "level": dict(enums.FrenchLevel.choices),
    "course_type": dict(enums.CourseType.choices),
}


@register.filter
def labels(codes: Iterable[str] | None, vocabulary: str) -> list[Any]:
    """``service.languages|labels:"language"`` → the labels of the codes, unknown codes as they are."""
    table = _LABELS[vocabulary]
    return [table.get(code, code) for code in codes or ()]


@register.filter
def label(code: str | None, vocabulary: str) -> Any:
    return _LABELS[vocabulary].get(code or "", code or "")


@register.filter
def joined_labels(codes: Iterable[str] | None, vocabulary: str) -> str:
    return ", ".join(str(item) for item in labels(codes, vocabulary))


@register.filter
def km(value: float | None) -> str:
    """A distance for people: "350 m", "4.2 km", "18 km" (localised decimal separator)."""
    from django.utils.formats import number_format

    if value is None:
        return ""
    if value < 1:
        return f"{round(value * 1000 / 10) * 10:.0f} m"
    if value < 10:
        return f"{number_format(round(value, 1), 1)} km"
    return f"{round(value):.0f} km"


@register.simple_tag
def querystring_without(request: Any, *names: str) -> str:
    """The current GET parameters without ``names`` (for the pagination links), URL-encoded."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()
