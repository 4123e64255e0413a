"""The nearest directory services for each scheme of an evaluation (one query for all).

A scheme names data·inclusion thématiques (and types) in its rule file; the services of the
directory that are active, have one of these thématiques, and lie within ``RADIUS_KM`` of the
commune's centroid are read at once (the nearest ``CANDIDATES``), then shared out: ``limit``
per scheme, those sharing more of the scheme's thématiques first, then the nearest.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.urls import reverse

from maillage.directory.models import ServiceSearchIndex
from maillage.directory.selectors import bounding_box, haversine_km, rounded_km
from maillage.territory.models import Commune

from . import rules
from .engine import Evaluation, PlaceLink

RADIUS_KM = 40.0
CANDIDATES = 400


def attach_places(evaluation: Evaluation, *, limit: int = 3, commune_point: tuple[float, float] | None = None) -> None:
    """Fill ``places`` of every result with the nearest matching services."""
    code = evaluation.answers.commune
    point = commune_point
    if point is None and code:
        found = Commune.objects.filter(code=code).values_list("latitude", "longitude").first()
        if found and found[0] is not None and found[1] is not None:
            point = (found[0], found[1])
    if point is None:
        return
    wanted = {s.id: (set(s.places.thematiques), set(s.places.types)) for s in rules.schemes()}
    themes = set().union(*(t for t, _ in wanted.values()))
    if not themes:
        return
    lat_min, lat_max, lon_min, lon_max = bounding_box(point, RADIUS_KM)
    distance = rounded_km(haversine_km(point, F("latitude"), F("longitude")))
    query = (
        ServiceSearchIndex.objects.filter(
            Q(is_active=True),
            thematiques__overlap=sorted(themes),
            latitude__range=(lat_min, lat_max),
            longitude__range=(lon_min, lon_max),
        )
        .annotate(distance_km=distance)
        .filter(distance_km__lte=RADIUS_KM)
        .order_by("distance_km", "name", "service_id")
        .values_list(
            "service_id",
            "name",
            "thematiques",
            "distance_km",
            "service__types",
            "service__address",
            "service__structure__address",
            "service__structure__name",
        )[:CANDIDATES]
    )
    rows = list(query)
    for result in evaluation.results:
        scheme_themes, scheme_types = wanted.get(result.scheme, (set(), set()))
        scored = []
        for service_id, name, service_themes, km, types, address, structure_address, structure_name in rows:
            matching = len(scheme_themes.intersection(service_themes))
            if not matching or (scheme_types and types and not scheme_types.intersection(types)):
                continue
            # The services sharing more of the scheme's thématiques first, then the nearest.
            scored.append((-matching, km, service_id, name, address or structure_address or "", structure_name))
        scored.sort(key=lambda row: (row[0], row[1], row[2]))
        result.places = [
            PlaceLink(
                id=service_id,
                name=name if structure_name in ("", name) else f"{name} – {structure_name}",
                distance_km=km,
                address=address,
                url=reverse("directory:service_detail", args=[service_id]),
            )
            for _score, km, service_id, name, address, structure_name in scored[:limit]
        ]
