"""The map of the sites (``/sites/map/``) and its data (``/sites/map.geojson``).

Both take the list's GET filters (``forms/filters.py``) and show the same sites as the list
(``selectors.sites.sites_for_list``). The page works without JavaScript: above the map, a table
gives the sites and people per department (one aggregate query) and how many sites have no
location; without JavaScript it links to the list with the same filters. With JavaScript,
``static/js/living-sites-map.js`` fetches the GeoJSON and draws clustered markers coloured by the
living conditions' light (its word is in the marker's title and popup, and in the legend).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.formats import date_format

from ..enums import Light, SiteKind
from ..forms.filters import filter_form_for
from ..selectors.sites import sites_for_list

# Centre and zoom when no site has a location: Hauts-de-France.
DEFAULT_CENTRE = (50.17, 2.78)
DEFAULT_ZOOM = 8
LIGHTS = (Light.RED, Light.AMBER, Light.GREEN, Light.UNKNOWN)


def department_counts(sites: Any) -> list[dict[str, Any]]:
    """Sites, people (latest figures) and sites without a location per department: one query."""
    return list(
        sites.order_by()
        .values("department_id", "department__name")
        .annotate(
            sites=Count("pk"),
            people=Sum("latest_update__people"),
            unlocated=Count("pk", filter=Q(latitude__isnull=True) | Q(longitude__isnull=True)),
        )
        .order_by("department_id")
    )


def site_map(request: HttpRequest) -> HttpResponse:
    form = filter_form_for(request.user, request.GET)
    filters = form.filters()
    departments = department_counts(sites_for_list(request.user, **filters))
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""
    totals = {
        "sites": sum(row["sites"] for row in departments),
        "people": sum(row["people"] or 0 for row in departments),
        "unlocated": sum(row["unlocated"] for row in departments),
    }
    return render(
        request,
        "living_sites/map/map.html",
        {
            "form": form,
            "departments": departments,
            "totals": totals,
            "closed_included": filters.get("status") != "open",
            "data_url": reverse("living_sites:map_data") + suffix,
            "list_url": reverse("living_sites:list") + suffix,
            "lights": [(light.value, light.label) for light in LIGHTS],
            "map_tile_url": settings.MAP_TILE_URL,
            "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "map_centre": DEFAULT_CENTRE,
            "map_zoom": DEFAULT_ZOOM,
        },
    )


def map_data(request: HttpRequest) -> JsonResponse:
    """A GeoJSON FeatureCollection of the located sites; ``unlocated`` counts the others."""
    form = filter_form_for(request.user, request.GET)
    rows = sites_for_list(request.user, **form.filters()).values_list(
        "pk",
        "name",
        "kind",
        "commune__name",
        "latitude",
        "longitude",
        "latest_update__people",
        "latest_update__observed_on",
        "latest_update__conditions_light",
    )
    kinds = dict(SiteKind.choices)
    lights = dict(Light.choices)
    detail = reverse("living_sites:site_detail", args=[0])
    features: list[dict[str, Any]] = []
    unlocated = 0
    for pk, name, kind, commune, latitude, longitude, people, observed_on, light in rows:
        if latitude is None or longitude is None:
            unlocated += 1
            continue
        light = light or Light.UNKNOWN
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                "properties": {
                    "name": name,
                    "kind": str(kinds.get(kind, kind)),
                    "commune": commune,
                    "people": people,
                    "updated_on": observed_on.isoformat() if observed_on else None,
                    "updated_on_display": date_format(observed_on, "SHORT_DATE_FORMAT") if observed_on else None,
                    "light": light,
                    "light_label": str(lights.get(light, light)),
                    "url": detail.replace("/0/", f"/{pk}/"),
                },
            }
        )
    response = JsonResponse({"type": "FeatureCollection", "features": features, "unlocated": unlocated})
    response["Content-Type"] = "application/geo+json"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("map/", site_map, name="map"),
    path("map.geojson", map_data, name="map_data"),
]
