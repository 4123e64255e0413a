"""Exports of the directory: data·inclusion v1 JSON, HSDS 3.0 JSON, and CSV / XLSX of services.

data·inclusion (``structures_json``, ``services_json``)
    Every active structure, and every active service of an active structure, as a JSON list of
    objects valid against ``v1.Structure`` / ``v1.Service``: ``source`` is the entry's source
    (``maillage`` for entries written here), ``id`` its ``source_id``, a service's
    ``structure_id`` its structure's ``source_id``; ``date_maj`` is the day of ``updated_at``. The
    field names are those listed in ``importers`` (the same mapping, reversed), so an export can
    be imported again. Where our data cannot be expressed in the schema: a service's ``type`` is
    the first of its ``types``; an empty ``eligibility_zone`` is exported as ``null`` (no
    restriction stated) rather than ``["france"]``; a name longer than 150 characters is cut. Each
    item is checked with the schema's model: an optional field the schema refuses is exported as
    ``null``; an entry whose required fields are refused (a name shorter than 3 characters, a
    service description shorter than 5) is left out and logged.

HSDS 3.0 (``hsds_json``, Open Referral Human Services Data Specification)
    The answer has the shape of the HSDS API's paginated list of organizations, in one page:
    ``{"contents": [organization…], "total_items", "total_pages": 1, "page_number": 1, "size",
    "first_page", "last_page", "empty"}``. Identifiers are UUIDs derived from our primary keys
    (``uuid5``), so they are stable from one export to the next.

    * organization ← structure: ``name``, ``description`` (the name when empty), ``email``,
      ``website``, ``organization_identifiers`` (SIRET), ``phones``, ``locations`` and ``services``.
    * location (``location_type`` ``physical``) ← the structure's address (and, for a service
      with its own address, the service's): ``latitude``, ``longitude``, ``addresses``
      (``address_1``, ``address_2``, ``city``, ``postal_code``, ``state_province`` = department,
      ``country`` ``FR``), ``schedules`` (opening hours).
    * service ← service: ``name``, ``description``, ``url`` (referral link, else the source
      link), ``email``, ``status`` ``active``, ``fees_description`` (fees and their details),
      ``eligibility_description`` (publics and their details), ``application_process`` (how to
      get referred, who can refer, conditions), ``phones``, ``schedules``, ``service_areas``
      (the INSEE codes of the eligibility zone), ``languages``, ``contacts`` (contact person),
      ``service_at_locations`` (its own location, else its structure's), ``attributes``.
    * schedules: an OpenStreetMap opening-hours string made of ``days time-time`` rules
      (``Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00``, ``PH off`` ignored) becomes one weekly
      schedule per time range (``freq`` ``WEEKLY``, ``byday`` ``MO,TU…``, ``opens_at``,
      ``closes_at``, local time); any other syntax gives one schedule whose ``description`` is
      the OSM string. The OSM string is always kept in ``notes``.
    * attributes: each thématique (and each public) is an attribute linking the service to a
      ``taxonomy_term`` of the data·inclusion taxonomy (``code`` = the data·inclusion value,
      ``name`` = its label, ``parent_id`` = its category's term, ``taxonomy`` and ``taxonomy_id``
      name the taxonomy, described once, with its version, in the page's extra ``taxonomies``).

CSV / XLSX of services (``export_services_csv``, ``export_services_xlsx``)
    One line per service, French column headers (``SERVICE_HEADERS``); the address is the
    service's own if it has one, else its structure's, and so are phone, e-mail and hours. CSV: UTF-8 with a BOM, ``;``
    separated (what a French spreadsheet opens directly). Cells starting with ``= + - @`` are
    escaped in both formats so that a spreadsheet never runs them as formulas (the helpers of
    ``maillage.core.exports``, shared with the living sites' exports). Both take any
    iterable of services; give them a queryset with ``select_related("structure__commune",
    "commune")`` (added when it is a queryset) to keep the number of queries fixed.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import pydantic
from data_inclusion.schema import v1
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from maillage.core.exports import csv_lines, xlsx_append, xlsx_bytes, xlsx_sheet, xlsx_workbook

from . import enums
from .models import Service, Structure

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
HSDS_NAMESPACE = uuid.UUID("6f1d9c1e-3b7a-5d2e-9c41-0a8e2f6b7d10")
DATA_INCLUSION_SCHEMA_VERSION = "1.0.10"

_LABELS: dict[str, dict[str, str]] = {
    "thematiques": dict(enums.THEMATIQUE_CHOICES),
    "types": dict(enums.TYPE_SERVICE_CHOICES),
    "publics": dict(enums.PUBLIC_CHOICES),
    "fees": dict(enums.FRAIS_CHOICES),
    "reception_modes": dict(enums.MODE_ACCUEIL_CHOICES),
    "referral_modes": dict(enums.MODE_MOBILISATION_CHOICES),
    "referral_by": dict(enums.PERSONNE_MOBILISATRICE_CHOICES),
}
_CATEGORY_LABELS = {c.value: c.label for c in v1.Categorie}


def _labels(kind: str, codes: Iterable[str]) -> list[str]:
    return [str(_LABELS[kind].get(code, code)) for code in codes]


def _or_none(value: Any) -> Any:
    return value if value not in ("", None, []) else None


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _iterate(queryset: Any) -> Iterator[Any]:
    return queryset.iterator(chunk_size=CHUNK_SIZE) if isinstance(queryset, QuerySet) else iter(queryset)


# --- data·inclusion ----------------------------------------------------------------------


def _place(entry: Structure | Service) -> dict[str, Any]:
    commune = entry.commune
    return {
        "commune": commune.name if commune else None,
        "code_postal": _or_none(entry.postal_code),
        "code_insee": commune.code if commune else None,
        "adresse": _or_none(entry.address),
        "complement_adresse": _or_none(entry.address_complement),
        "longitude": entry.longitude,
        "latitude": entry.latitude,
        "telephone": _or_none(entry.phone),
        "courriel": _or_none(entry.email),
        "horaires_accueil": _or_none(entry.opening_hours),
    }


def structure_to_data_inclusion(structure: Structure) -> dict[str, Any]:
    return {
        "source": structure.source,
        "id": structure.source_id,
        "nom": structure.name[:150],
        "date_maj": _local_day(structure.updated_at).isoformat(),
        "description": _or_none(structure.description[:10000]),
        "lien_source": _or_none(structure.source_url),
        "siret": _or_none(structure.siret),
        **_place(structure),
        "site_web": _or_none(structure.website),
        "accessibilite_lieu": _or_none(structure.accessibility_url),
        "reseaux_porteurs": _or_none(sorted(structure.networks)),
    }


def service_to_data_inclusion(service: Service) -> dict[str, Any]:
    return {
        "source": service.source,
        "structure_id": service.structure.source_id,
        "id": service.source_id,
        "nom": service.name[:150],
        "description": service.description[:10000],
        "lien_source": _or_none(service.source_url),
        "date_maj": _local_day(service.updated_at).isoformat(),
        "type": service.types[0] if service.types else None,
        "thematiques": _or_none(sorted(service.thematiques)),
        "frais": _or_none(service.fees),
        "frais_precisions": _or_none(service.fees_details),
        "publics": _or_none(sorted(service.publics)),
        "publics_precisions": _or_none(service.publics_details),
        "conditions_acces": _or_none(service.access_conditions),
        **_place(service),
        "modes_accueil": _or_none(sorted(service.reception_modes)),
        "zone_eligibilite": _or_none(list(service.eligibility_zone)),
        "contact_nom_prenom": _or_none(service.contact_name),
        "lien_mobilisation": _or_none(service.referral_url),
        "modes_mobilisation": _or_none(sorted(service.referral_modes)),
        "mobilisable_par": _or_none(sorted(service.referral_by)),
        "mobilisation_precisions": _or_none(service.referral_details),
        "volume_horaire_hebdomadaire": service.weekly_hours,
        "nombre_semaines": service.weeks,
    }


def _schema_valid(model: type[pydantic.BaseModel], data: dict[str, Any], label: str) -> dict[str, Any] | None:
    """``data`` checked with the schema; refused optional fields become null, else None."""
    required = {name for name, info in model.model_fields.items() if info.is_required()}
    for _attempt in range(3):
        try:
            model.model_validate(data)
        except pydantic.ValidationError as error:
            fields = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
            if not fields or fields & required:
                logger.warning("Export: %s left out (%s).", label, error.errors(include_url=False)[:3])
                return None
            for name in fields:
                data[name] = None
        else:
            return data
    return None


def _json_list(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON list written by pieces of about a hundred items."""
    yield "["
    first = True
    buffer: list[str] = []
    for item in items:
        buffer.append(("" if first else ",") + json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        first = False
        if len(buffer) >= 100:
            yield "".join(buffer)
            buffer.clear()
    yield "".join(buffer) + "]"


def exported_structures() -> QuerySet[Structure]:
    return Structure.objects.active().select_related("commune").order_by("pk")


def exported_services() -> QuerySet[Service]:
    return (
        Service.objects.active()
        .filter(structure__is_active=True)
        .select_related("structure", "commune")
        .defer("search_vector", "search_text")
        .order_by("pk")
    )


def structures_json(queryset: Iterable[Structure] | None = None) -> Iterator[str]:
    """data·inclusion structures as a JSON list, in pieces (one query)."""
    structures = exported_structures() if queryset is None else queryset

    def items() -> Iterator[dict[str, Any]]:
        for structure in _iterate(structures):
            data = _schema_valid(v1.Structure, structure_to_data_inclusion(structure), f"structure {structure.pk}")
            if data is not None:
                yield data

    return _json_list(items())


def services_json(queryset: Iterable[Service] | None = None) -> Iterator[str]:
    """data·inclusion services as a JSON list, in pieces (one query)."""
    services = exported_services() if queryset is None else queryset

    def items() -> Iterator[dict[str, Any]]:
        for service in _iterate(services):
            data = _schema_valid(v1.Service, service_to_data_inclusion(service), f"service {service.pk}")
            if data is not None:
                yield data

    return _json_list(items())


# --- HSDS 3.0 ----------------------------------------------------------------------------

_OSM_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_TIME = r"(?:[01]\d|2[0-4]):[0-5]\d"
_OSM_RULE = re.compile(
    rf"^(?P<days>{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*)\s+(?P<times>{_TIME}-{_TIME}(?:,{_TIME}-{_TIME})*)$"
)


def _hsds_id(kind: str, key: Any) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, f"{kind}:{key}"))


def _osm_days(spec: str) -> list[str]:
    days: list[str] = []
    for part in spec.split(","):
        start, _sep, end = part.partition("-")
        first, last = _OSM_DAYS.index(start), _OSM_DAYS.index(end or start)
        indexes = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        days.extend(_OSM_DAYS[i] for i in indexes if _OSM_DAYS[i] not in days)
    return days


def osm_to_weekly(value: str) -> list[tuple[list[str], str, str]] | None:
    """[(days, opens, closes)] for simple OpenStreetMap hours, None for any other syntax."""
    result: list[tuple[list[str], str, str]] = []
    for rule in (r.strip() for r in value.split(";")):
        if not rule or rule == "PH off":
            continue
        match = _OSM_RULE.match(rule)
        if not match:
            return None
        days = _osm_days(match["days"])
        for span in match["times"].split(","):
            opens, closes = span.split("-")
            result.append((days, opens, closes))
    return result or None


def hsds_schedules(value: str, owner: str, owner_id: str) -> list[dict[str, Any]]:
    """HSDS schedules of ``owner`` (``service_id`` or ``location_id``) from OSM opening hours."""
    if not value:
        return []
    weekly = osm_to_weekly(value)
    if weekly is None:
        return [{"id": _hsds_id("schedule", f"{owner_id}:osm"), owner: owner_id, "description": value, "notes": value}]
    return [
        {
            "id": _hsds_id("schedule", f"{owner_id}:{index}"),
            owner: owner_id,
            "freq": "WEEKLY",
            "byday": ",".join(day.upper() for day in days),
            "opens_at": opens,
            "closes_at": closes,
            "notes": value,
        }
        for index, (days, opens, closes) in enumerate(weekly)
    ]


_TAXONOMIES = {
    "thematiques": {
        "id": _hsds_id("taxonomy", "data-inclusion-thematiques"),
        "name": "data·inclusion – thématiques",
        "description": "Thématiques du référentiel data·inclusion (schéma v1).",
        "uri": "https://www.data.inclusion.gouv.fr/",
        "version": DATA_INCLUSION_SCHEMA_VERSION,
    },
    "publics": {
        "id": _hsds_id("taxonomy", "data-inclusion-publics"),
        "name": "data·inclusion – publics",
        "description": "Publics du référentiel data·inclusion (schéma v1).",
        "uri": "https://www.data.inclusion.gouv.fr/",
        "version": DATA_INCLUSION_SCHEMA_VERSION,
    },
}


def _taxonomy_term(kind: str, code: str) -> dict[str, Any]:
    label = str(_LABELS[kind].get(code, code))
    term: dict[str, Any] = {
        "id": _hsds_id(f"term-{kind}", code),
        "code": code,
        "name": label,
        "description": label,
        "parent_id": None,
        "taxonomy": _TAXONOMIES[kind]["name"],
        "language": "fr",
        "taxonomy_id": _TAXONOMIES[kind]["id"],
    }
    category = code.split("--")[0] if kind == "thematiques" and "--" in code else None
    if category:
        term["parent_id"] = _hsds_id(f"term-{kind}", category)
    return term


def _address(entry: Structure | Service, location_id: str) -> list[dict[str, Any]]:
    commune = entry.commune
    if not (entry.address or commune):
        return []
    return [
        {
            "id": _hsds_id("address", location_id),
            "location_id": location_id,
            "address_1": entry.address or (commune.name if commune else ""),
            "address_2": entry.address_complement or None,
            "city": commune.name if commune else "",
            "postal_code": entry.postal_code or "",
            "state_province": commune.department_id if commune else "",
            "country": "FR",
            "address_type": "physical",
        }
    ]


def _location(entry: Structure | Service, kind: str, organization_id: str) -> dict[str, Any] | None:
    if not (entry.address or entry.commune or entry.latitude is not None):
        return None
    location_id = _hsds_id(f"location-{kind}", entry.pk)
    return {
        "id": location_id,
        "location_type": "physical",
        "organization_id": organization_id,
        "name": entry.name,
        "latitude": entry.latitude,
        "longitude": entry.longitude,
        "addresses": _address(entry, location_id),
        "schedules": hsds_schedules(entry.opening_hours, "location_id", location_id) if kind == "structure" else [],
    }


def _phones(number: str, owner: str, owner_id: str) -> list[dict[str, Any]]:
    if not number:
        return []
    return [{"id": _hsds_id("phone", owner_id), owner: owner_id, "number": number, "type": "voice"}]


def _sentences(*parts: str) -> str | None:
    text = " ".join(p.strip().rstrip(".") + "." for p in parts if p and p.strip())
    return text or None


def hsds_service(
    service: Service, organization_id: str, structure_location: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The HSDS service, and its own location when it has an address of its own."""
    service_id = _hsds_id("service", service.pk)
    own_location = _location(service, "service", organization_id) if (service.address or service.commune_id) else None
    location = own_location or structure_location
    attributes = [
        {
            "id": _hsds_id("attribute", f"{service.pk}:{kind}:{code}"),
            "link_id": service_id,
            "link_type": kind,
            "link_entity": "service",
            "taxonomy_term_id": _hsds_id(f"term-{kind}", code),
            "taxonomy_term": _taxonomy_term(kind, code),
        }
        for kind in ("thematiques", "publics")
        for code in sorted(getattr(service, kind))
    ]
    return {
        "id": service_id,
        "organization_id": organization_id,
        "name": service.name,
        "description": service.description,
        "url": service.referral_url or service.source_url or None,
        "email": service.email or None,
        "status": "active",
        "fees_description": _sentences(
            ", ".join(_labels("fees", [service.fees] if service.fees else [])), service.fees_details
        ),
        "eligibility_description": _sentences(", ".join(_labels("publics", service.publics)), service.publics_details),
        "application_process": _sentences(
            ", ".join(_labels("referral_modes", service.referral_modes)),
            ", ".join(_labels("referral_by", service.referral_by)),
            service.referral_details,
            service.access_conditions,
        ),
        "phones": _phones(service.phone, "service_id", service_id),
        "schedules": hsds_schedules(service.opening_hours, "service_id", service_id),
        "service_areas": [
            {
                "id": _hsds_id("area", f"{service.pk}:{code}"),
                "service_id": service_id,
                "name": code,
                "description": "Code INSEE (commune, département ou région)",
            }
            for code in service.eligibility_zone
        ],
        "languages": [
            {
                "id": _hsds_id("language", f"{service.pk}:{code}"),
                "service_id": service_id,
                "code": code,
                "name": str(enums.LANGUAGE_LABELS.get(code, code)),
            }
            for code in service.languages
        ],
        "contacts": [{"id": _hsds_id("contact", service.pk), "service_id": service_id, "name": service.contact_name}]
        if service.contact_name
        else [],
        "service_at_locations": [
            {
                "id": _hsds_id("service-at-location", f"{service.pk}:{location['id']}"),
                "service_id": service_id,
                "location_id": location["id"],
            }
        ]
        if location
        else [],
        "attributes": attributes,
    }, own_location


def hsds_organization(structure: Structure, services: list[Service]) -> dict[str, Any]:
    organization_id = _hsds_id("structure", structure.pk)
    location = _location(structure, "structure", organization_id)
    hsds_services, locations = [], [location] if location else []
    for service in services:
        data, own_location = hsds_service(service, organization_id, location)
        hsds_services.append(data)
        if own_location:
            locations.append(own_location)
    return {
        "id": organization_id,
        "name": structure.name,
        "description": structure.description or structure.name,
        "email": structure.email or None,
        "website": structure.website or None,
        "organization_identifiers": [
            {
                "id": _hsds_id("siret", structure.pk),
                "organization_id": organization_id,
                "identifier_type": "SIRET",
                "identifier": structure.siret,
            }
        ]
        if structure.siret
        else [],
        "phones": _phones(structure.phone, "organization_id", organization_id),
        "locations": locations,
        "services": hsds_services,
    }


def hsds_json() -> Iterator[str]:
    """HSDS 3.0 organizations with their services, in pieces (two queries, merged by structure)."""
    structures = exported_structures().iterator(chunk_size=CHUNK_SIZE)
    services = (
        exported_services()
        .select_related(None)
        .select_related("commune")
        .order_by("structure_id", "pk")
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def organizations() -> Iterator[dict[str, Any]]:
        pending = next(services, None)
        for structure in structures:
            own: list[Service] = []
            while pending is not None and pending.structure_id <= structure.pk:
                if pending.structure_id == structure.pk:
                    own.append(pending)
                pending = next(services, None)
            yield hsds_organization(structure, own)

    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for organization in organizations():
            count += 1
            yield organization

    yield '{"contents":'
    yield from _json_list(counted())
    yield (
        ","
        + json.dumps(
            {
                "total_items": count,
                "total_pages": 1,
                "page_number": 1,
                "size": count,
                "first_page": True,
                "last_page": True,
                "empty": count == 0,
                # Not part of the HSDS page: the taxonomies of the attributes' terms, described once.
                "taxonomies": list(_TAXONOMIES.values()),
            }
        )[1:]
    )


# --- CSV / XLSX of services --------------------------------------------------------------


def _effective(service: Service, name: str) -> Any:
    return getattr(service, name) or getattr(service.structure, name)


def _service_row(service: Service) -> list[Any]:
    structure = service.structure
    # The address is the service's own when it has one, else its structure's, never a mix.
    place: Service | Structure = service if (service.address or service.commune_id) else structure
    commune = place.commune
    return [
        service.name,
        structure.name,
        ", ".join(_labels("thematiques", service.thematiques)),
        ", ".join(_labels("types", service.types)),
        ", ".join(_labels("publics", service.publics)),
        ", ".join(_labels("fees", [service.fees] if service.fees else [])),
        service.fees_details,
        ", ".join(_labels("reception_modes", service.reception_modes)),
        ", ".join(_labels("referral_modes", service.referral_modes)),
        place.address,
        place.postal_code,
        commune.name if commune else "",
        _effective(service, "phone"),
        _effective(service, "email"),
        _effective(service, "opening_hours"),
        ", ".join(str(enums.LANGUAGE_LABELS.get(code, code)) for code in service.languages),
        service.referral_url or structure.website,
        _local_day(service.updated_at),
        settings.SITE_URL + service.get_absolute_url(),
    ]


SERVICE_HEADERS = [
    "Service",
    "Structure",
    "Thématiques",
    "Types de service",
    "Publics",
    "Frais",
    "Précisions sur les frais",
    "Modes d’accueil",
    "Modes de mobilisation",
    "Adresse",
    "Code postal",
    "Commune",
    "Téléphone",
    "Courriel",
    "Horaires d’accueil",
    "Langues parlées",
    "Lien",
    "Mis à jour le",
    "Fiche Maillage",
]


def _prepared(services: Iterable[Service]) -> Iterator[Service]:
    if isinstance(services, QuerySet):
        services = services.select_related("structure__commune", "commune")
    return _iterate(services)


def _spreadsheet_row(service: Service) -> list[Any]:
    """The row's values as dates or text (an empty text for a missing value)."""
    return [value if isinstance(value, date) else str(value or "") for value in _service_row(service)]


def export_services_csv(services: Iterable[Service]) -> Iterator[str]:
    """CSV lines (UTF-8 BOM first, ``;`` separated, French headers) of the given services."""
    return csv_lines(SERVICE_HEADERS, (_spreadsheet_row(service) for service in _prepared(services)))


def export_services_xlsx(services: Iterable[Service]) -> bytes:
    """An XLSX workbook (one sheet, French headers) of the given services, built in write-only mode."""
    workbook = xlsx_workbook()
    sheet = xlsx_sheet(workbook, "Services", SERVICE_HEADERS)
    for service in _prepared(services):
        xlsx_append(sheet, _spreadsheet_row(service))
    return xlsx_bytes(workbook)
