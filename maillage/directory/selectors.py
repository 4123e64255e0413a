"""Read-side queries of the directory: the public search of services and structures.

``service_search`` and ``structure_search`` return lazy querysets of *active* entries (of
active structures), whatever the user: the public directory shows the same thing to
everybody, and editors reach their inactive entries through their own pages.
``service_search_page`` and ``structure_search_page`` return one page and the total in two
queries; the API uses them.

Text (``q``)
    French full-text search: ``search_vector @@ websearch_to_tsquery('maillage_fr', q)``
    (accents and case ignored, words stemmed: "formations" finds "formation"; ``"a phrase"``,
    ``-word`` and ``or`` are understood), ranked by ``ts_rank`` (the name weighs most).
    Typos: when no service at all contains the words, each word of three letters or more
    that the directory does not contain is looked up among the words of ``search_text``
    (``SearchWord``, pg_trgm: ``%`` on its trigram index, then ``similarity`` ≥
    ``CORRECTION_MIN_SIMILARITY``), and the query becomes "each word, or its near spellings
    when it has some" (the word itself being in no service): "fransais" finds "Cours de
    français". Any string is accepted: it is cut to ``MAX_QUERY_LENGTH`` characters, NUL
    characters are dropped, and a query without letters or digits, or made of stop words
    only ("de la"), filters nothing (``rank`` is then 0).

    Why not "full-text OR trigram word similarity" on every search: pg_trgm re-computes the
    similarity on every row the trigram index proposes (20 to 50 µs each on
    ``search_text``), and a common word gets tens of thousands of them in a 100,000-service
    directory (measured: 0.5 to 2.4 s a search). Why not ``%>`` (word similarity, threshold
    0.6): "fransais" is at 0.5 from "français" and would not be found.

Point and radius
    The point is ``lat``/``lon``, else the centroid of ``commune`` (INSEE code; an unknown
    code is a ``ValidationError`` on ``commune``; one query). A service is at its own
    coordinates, else at its structure's. ``distance_km`` (haversine in SQL, rounded to
    0.1 km) is ``None`` without a point. ``radius_km`` (0 < r ≤ 200) keeps the entries within
    that distance: a bounding box on the indexed ``latitude``/``longitude`` (and, for the
    services without coordinates, the index of ``structure_id``) narrows the rows, the exact
    distance decides. A radius without a point is a ``ValidationError``.

Order
    Relevance first when there is a text, then distance when there is a point, then name and
    id, so that pages are stable.

Opening hours (``open_now``)
    Hours use the OpenStreetMap syntax, which only ``opening_hours`` (Python) evaluates. The
    search reads the *distinct* effective hours (the service's own, else its structure's) of
    the services matching the other filters — one query, a few dozen values in practice —
    evaluates each value once for the current time in ``settings.TIME_ZONE`` (French public
    holidays known), and filters on the values that are open. The result stays a lazy
    queryset whose counting and paging are done by PostgreSQL. Services without hours, or
    with hours that cannot be evaluated, are not "open now".

Tables
    ``service_search_page`` (the API) matches, ranks, counts and pages on
    ``ServiceSearchIndex`` (a narrow copy of the searched columns, kept by triggers), and
    reads only the page's services from ``directory_service``; ``service_search`` (the web
    pages, whose map and exports read more columns) stays on ``directory_service``. Both
    return the same services in the same order. Measured on 100,000 services: 21 ms instead
    of 42 for the page of "français" (18,000 matches).

Queries, whatever the number of results: ``service_search_page`` is two (the page's ids
with the total, then those services with their structure and communes); the queryset of
``service_search`` is a count, the page and three prefetches. Add one for a text (does any
service contain it?), one (in a savepoint) to correct a text that matches nothing, one for
``commune`` and one for ``open_now``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import opening_hours
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Combinable, Expression, RawSQL
from django.db.models.functions import ASin, Cast, Coalesce, Cos, Least, NullIf, Power, Radians, Sin, Sqrt
from django.utils.translation import gettext as _

from maillage.territory.models import Commune
from maillage.territory.text import normalize_search

from .indexing import SEARCH_CONFIG
from .models import SearchWord, Service, ServiceSearchIndex, Structure

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8  # words corrected at most
CORRECTION_MIN_SIMILARITY = 0.45  # pg_trgm similarity: "fransais" ~ "francais" is 0.5
CORRECTIONS_PER_WORD = 3
CORRECTION_TIMEOUT_MS = 25  # measured 1 to 3 ms for real typos on 100,000 services
MAX_RADIUS_KM = 200.0
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180  # along a meridian
FREE = "gratuit"  # data·inclusion ``frais``
EVERYONE = "tous-publics"  # data·inclusion ``publics``
_WORD = re.compile(r"[^\W_]+")
_INSEE_CODE = re.compile(r"\d[\dAB]\d{3}")
MAX_OFFSET = 10_000_000  # beyond, a page is empty (and PostgreSQL's OFFSET stays in range)


@dataclass
class SearchFilters:
    """What a visitor asked for; empty values mean "no filter"."""

    q: str = ""
    thematiques: list[str] = field(default_factory=list)
    publics: list[str] = field(default_factory=list)
    free: bool = False
    languages: list[str] = field(default_factory=list)
    reception_modes: list[str] = field(default_factory=list)
    open_now: bool = False
    commune: str = ""  # INSEE code: its centroid is the point
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    kind: str = ""  # enums.ServiceKind
    structure: int | None = None


# --- Text --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextQuery:
    raw: str  # for websearch_to_tsquery, which understands quotes, "or" and "-"
    words: tuple[str, ...]  # normalised like ``search_text``


def text_query(q: str | None) -> TextQuery | None:
    """The usable part of a visitor's query, or None when it has no letter or digit."""
    raw = (q or "").replace("\x00", " ")[:MAX_QUERY_LENGTH].strip()
    words = tuple(_WORD.findall(normalize_search(raw)))
    if not words:
        return None
    return TextQuery(raw=raw, words=words)


def _websearch(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def _plain(word: str) -> SearchQuery:
    return SearchQuery(word, config=SEARCH_CONFIG, search_type="plain")


_PROBE_SQL = f"""
    SELECT numnode(query), EXISTS (SELECT 1 FROM directory_service WHERE search_vector @@ query)
    FROM websearch_to_tsquery('{SEARCH_CONFIG}', %s) AS query
"""  # noqa: S608 - constant

# For each word the directory does not contain (stop words aside): the words of the
# services' ``search_text`` close to it (``SearchWord``, through its trigram index: ``%``,
# similarity ≥ 0.3 by default; ``CORRECTION_MIN_SIMILARITY`` is applied after).
_CORRECTIONS_SQL = f"""
    SELECT q.word, c.word, similarity(c.word, q.word)
    FROM unnest(%s::text[]) AS q(word)
    CROSS JOIN LATERAL (
        SELECT w.word FROM {SearchWord._meta.db_table} w WHERE w.word %% q.word
    ) AS c
    WHERE numnode(plainto_tsquery('{SEARCH_CONFIG}', q.word)) > 0
    AND NOT EXISTS (
        SELECT 1 FROM directory_service s WHERE s.search_vector @@ plainto_tsquery('{SEARCH_CONFIG}', q.word)
    )
"""  # noqa: S608 - constant


def spelling_corrections(words: tuple[str, ...]) -> dict[str, list[str]]:
    """Near spellings, found in the directory, of the ``words`` it does not contain.

    Best effort: the query is given ``CORRECTION_TIMEOUT_MS`` (a word close to none of the
    directory's, such as "xkcd", makes the trigram index return many rows to re-check),
    after which no correction is proposed.
    """
    candidates = list(dict.fromkeys(w for w in words if len(w) >= 3 and not w.isdigit()))[:MAX_QUERY_WORDS]
    if not candidates:
        return {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # SET LOCAL lasts until the end of the transaction, which may be the caller's.
            cursor.execute(f"SET LOCAL statement_timeout = {int(CORRECTION_TIMEOUT_MS)}")
            cursor.execute(_CORRECTIONS_SQL, [candidates])
            rows = cursor.fetchall()
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError:  # cancelled by the timeout
        return {}
    found: dict[str, list[tuple[float, str]]] = {}
    for word, near, similarity in rows:
        found.setdefault(word, []).append((-similarity, near))
    corrections = {}
    for word, nears in found.items():
        best = [near for sim, near in sorted(nears) if -sim >= CORRECTION_MIN_SIMILARITY][:CORRECTIONS_PER_WORD]
        if best:
            corrections[word] = best
    return corrections


def search_query(text: TextQuery) -> SearchQuery | None:
    """The tsquery of ``text``: as typed when the directory contains it, else with near
    spellings of its words; None when it has only stop words (no text filter)."""
    with connection.cursor() as cursor:
        cursor.execute(_PROBE_SQL, [text.raw])
        nodes, exists = cursor.fetchone()
    if nodes == 0:
        return None
    if exists:
        return _websearch(text.raw)
    corrections = spelling_corrections(text.words)
    if not corrections:
        return _websearch(text.raw)  # nothing close either: no result, as typed
    query: SearchQuery | None = None
    for word in text.words:
        # A corrected word is in no service (``spelling_corrections`` checks): only its near
        # spellings are looked for, which finds the same services for less work per row.
        nears = corrections.get(word) or [word]
        term = _plain(nears[0])
        for near in nears[1:]:
            term = term | _plain(near)
        query = term if query is None else query & term
    return query


# --- Point and distance ------------------------------------------------------------------


def search_point(filters: SearchFilters) -> tuple[float, float] | None:
    """The point of the search (lat/lon, else the commune's centroid); validates the radius."""
    point: tuple[float, float] | None = None
    if (filters.lat is None) != (filters.lon is None):
        raise ValidationError({"lat" if filters.lat is None else "lon": _("Give both a latitude and a longitude.")})
    if filters.lat is not None and filters.lon is not None:
        if not (-90 <= filters.lat <= 90 and -180 <= filters.lon <= 180):
            raise ValidationError({"lat": _("These coordinates are not valid.")})
        point = (filters.lat, filters.lon)
    elif filters.commune:
        code = str(filters.commune).strip().upper()
        found = None
        if _INSEE_CODE.fullmatch(code):
            found = Commune.objects.filter(code=code).values_list("latitude", "longitude").first()
        if found is None:
            shown = code[:5].replace("\x00", "")
            raise ValidationError({"commune": _("Unknown commune code: %(code)s") % {"code": shown}})
        if found[0] is not None and found[1] is not None:
            point = (found[0], found[1])
    if filters.radius_km is not None:
        if not 0 < filters.radius_km <= MAX_RADIUS_KM:
            raise ValidationError(
                {"radius_km": _("The radius must be between 0 and %(max)s km.") % {"max": int(MAX_RADIUS_KM)}}
            )
        if point is None:
            raise ValidationError({"radius_km": _("A radius needs a point: a commune, or a latitude and a longitude.")})
    return point


def haversine_km(point: tuple[float, float], lat: Combinable, lon: Combinable) -> Expression:
    """Great-circle distance in km between ``point`` and the row's ``lat``/``lon`` (SQL)."""
    lat0, lon0 = point
    half_dlat = Sin(Radians(lat - Value(lat0)) / Value(2.0))
    half_dlon = Sin(Radians(lon - Value(lon0)) / Value(2.0))
    a = Power(half_dlat, 2) + Value(math.cos(math.radians(lat0))) * Cos(Radians(lat)) * Power(half_dlon, 2)
    # Least(): rounding may push ``a`` a hair above 1, outside asin's domain.
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(a, Value(1.0))), output_field=FloatField())


def rounded_km(expression: Any) -> Expression:
    """``expression`` rounded to 0.1 km (numeric(9, 1) rounds half away from zero), as a float."""
    return Cast(Cast(expression, DecimalField(max_digits=9, decimal_places=1)), FloatField())


def bounding_box(point: tuple[float, float], radius_km: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) containing the circle; wider near the poles."""
    lat0, lon0 = point
    dlat = radius_km / KM_PER_DEGREE
    lat_min, lat_max = max(-90.0, lat0 - dlat), min(90.0, lat0 + dlat)
    widest = math.cos(math.radians(max(abs(lat_min), abs(lat_max))))
    if widest < 1e-6 or radius_km / (KM_PER_DEGREE * widest) >= 180:
        return lat_min, lat_max, -180.0, 180.0
    dlon = radius_km / (KM_PER_DEGREE * widest)
    # Circles crossing the antimeridian are not worth a second box in a French directory.
    return lat_min, lat_max, max(-180.0, lon0 - dlon), min(180.0, lon0 + dlon)


_STRUCTURES_IN_BOX_SQL = (  # table names only; the box is bound as parameters
    f'"{Service._meta.db_table}"."structure_id" = ANY(ARRAY('  # noqa: S608
    f'SELECT "id" FROM "{Structure._meta.db_table}" '
    f'WHERE "latitude" BETWEEN %s AND %s AND "longitude" BETWEEN %s AND %s))'
)


def _box_q(box: tuple[float, float, float, float], *, inherited: bool = False) -> Q:
    """Rows in the box, on the indexed ``latitude``/``longitude`` columns.

    With ``inherited`` (services), a service missing a coordinate is in the box when its
    structure is. ``structure_id = ANY(ARRAY(<structures in the box>))`` (not ``IN (…)``)
    lets PostgreSQL read those services through the index of ``structure_id``, and combine
    it with the coordinates' index, instead of checking every service without coordinates.
    """
    lat_min, lat_max, lon_min, lon_max = box
    own = Q(latitude__range=(lat_min, lat_max), longitude__range=(lon_min, lon_max))
    if not inherited:
        return own
    missing = Q(latitude__isnull=True) | Q(longitude__isnull=True)
    box_params = [lat_min, lat_max, lon_min, lon_max]
    structure_in_box = RawSQL(_STRUCTURES_IN_BOX_SQL, box_params, BooleanField())  # noqa: S611 - constant SQL
    return own | (missing & Q(structure_in_box))


# --- Opening hours -----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parsed_hours(value: str) -> Any:
    try:
        return opening_hours.OpeningHours(
            value, timezone=ZoneInfo(settings.TIME_ZONE), country="FR", auto_country=False, auto_timezone=False
        )
    except Exception:  # ParserError, or anything else the parser may raise on odd input
        return None


def hours_open_at(value: str, moment: datetime) -> bool:
    """Whether OpenStreetMap ``opening_hours`` ``value`` says open at ``moment`` (aware)."""
    parsed = _parsed_hours(value) if value else None
    if parsed is None:
        return False
    try:
        return bool(parsed.is_open(moment.astimezone(ZoneInfo(settings.TIME_ZONE))))
    except Exception:  # an expression the evaluator cannot follow: not known to be open
        return False


def _now() -> datetime:
    return datetime.now(ZoneInfo(settings.TIME_ZONE))


def _open_now(qs: QuerySet[Any], moment: datetime, *, service: str = "") -> QuerySet[Any]:
    """``service``: the path to the service's columns ("service__" from ``ServiceSearchIndex``)."""
    own, inherited = F(f"{service}opening_hours"), F("structure__opening_hours")
    hours = Coalesce(NullIf(own, Value("")), NullIf(inherited, Value("")))
    values = qs.order_by().annotate(_hours=hours).values_list("_hours", flat=True).distinct()
    open_values = [value for value in values if value and hours_open_at(value, moment)]
    return qs.alias(_hours=hours).filter(_hours__in=open_values)


# --- Services ----------------------------------------------------------------------------


@dataclass
class _Search:
    """A search before its order: the filtered, annotated rows and the keys to sort them."""

    qs: QuerySet[Any]
    keys: list[tuple[str, bool]]  # (selected column, descending), then name and id

    def ordered(self) -> QuerySet[Any]:
        return self.qs.order_by(
            *[F(name).desc() if descending else F(name).asc(nulls_last=True) for name, descending in self.keys]
        )


def _ranked(qs: QuerySet[Any], query: SearchQuery | None, vector: Any) -> tuple[QuerySet[Any], list[tuple[str, bool]]]:
    if query is None:
        return qs.annotate(rank=Value(0.0, output_field=FloatField())), []
    # ts_rank, not ts_rank_cd: the page of a common word ranks every matching row, and
    # ts_rank_cd took twice as long (10 ms more for 18,000 rows); both weigh the name most.
    qs = qs.filter(**{vector: query}).annotate(rank=SearchRank(F(vector), query))
    return qs, [("rank", True)]


def _placed(
    qs: QuerySet[Any], point: tuple[float, float] | None, radius_km: float | None, *, inherited: bool
) -> tuple[QuerySet[Any], list[tuple[str, bool]]]:
    if point is None:
        return qs.annotate(distance_km=Value(None, output_field=FloatField())), []
    lat, lon = (F("_lat"), F("_lon")) if inherited else (F("latitude"), F("longitude"))
    qs = qs.annotate(_distance=haversine_km(point, lat, lon))
    if radius_km is not None:
        qs = qs.filter(_box_q(bounding_box(point, radius_km), inherited=inherited)).filter(_distance__lte=radius_km)
    return qs.annotate(distance_km=rounded_km(F("_distance"))), [("_distance", False)]


def _services(filters: SearchFilters, now: datetime | None, *, indexed: bool = False) -> _Search:
    """The matching services, annotated, read from ``directory_service`` alone when possible.

    PostgreSQL joins before it sorts, so a join is paid for every matching row, not for the
    page: without a point (nor ``open_now``) the structure is not joined, and inactive
    structures are excluded by a hashed ``NOT IN`` (a few rows). With a point, the structure
    is joined for the coordinates of the services that have none of their own.

    ``indexed``: rows of ``ServiceSearchIndex`` (``id`` is the service's), which has the
    structure's activity and coordinates already applied: no join but for ``open_now``, and
    a table a quarter the size of ``directory_service`` to read for a common word.
    """
    point = search_point(filters)
    text = text_query(filters.q)
    query = search_query(text) if text is not None else None

    qs: QuerySet[Any]
    if indexed:
        qs = ServiceSearchIndex.objects.filter(is_active=True).annotate(id=F("service_id"))
    elif point is not None or filters.open_now:
        qs = Service.objects.filter(is_active=True, structure__is_active=True).alias(
            _lat=Coalesce(F("latitude"), F("structure__latitude")),
            _lon=Coalesce(F("longitude"), F("structure__longitude")),
        )
    else:
        inactive = Structure.objects.filter(is_active=False).order_by().values("pk")
        qs = Service.objects.filter(is_active=True).exclude(structure_id__in=Subquery(inactive))
    if filters.thematiques:
        qs = qs.filter(thematiques__overlap=list(filters.thematiques))
    if filters.publics:
        # A service for everyone serves every public.
        qs = qs.filter(publics__overlap=[*filters.publics, EVERYONE])
    if filters.free:
        qs = qs.filter(fees=FREE)
    if filters.languages:
        qs = qs.filter(languages__overlap=list(filters.languages))
    if filters.reception_modes:
        qs = qs.filter(reception_modes__overlap=list(filters.reception_modes))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.structure is not None:
        qs = qs.filter(structure_id=filters.structure)

    qs, rank_keys = _ranked(qs, query, "search_vector")
    qs, distance_keys = _placed(qs, point, filters.radius_km, inherited=not indexed)
    if filters.open_now:
        qs = _open_now(qs, now or _now(), service="service__" if indexed else "")
    return _Search(qs, [*rank_keys, *distance_keys, ("name", False), ("id", False)])


def service_search(*, filters: SearchFilters, user: Any = None, now: datetime | None = None) -> QuerySet[Service]:
    """Active services matching ``filters``, annotated with ``rank`` and ``distance_km``.

    Their structure and the communes (the service's, the structure's) are prefetched: a
    page is its query plus three small ones. ``user`` is accepted for the policy's sake; the
    public search is the same for everybody. ``now`` (an aware datetime) is the moment of
    ``open_now``, the current time by default. Raises ``ValidationError`` for an unknown
    commune or a radius without a point.
    """
    search = _services(filters, now)
    return search.ordered().defer("search_vector", "search_text").prefetch_related("structure__commune", "commune")


@dataclass
class SearchPage:
    count: int
    items: list[Any]


def _window_page(search: _Search, loader: QuerySet[Any], page: int, page_size: int) -> SearchPage:
    """The page ``page`` of ``search`` and the total number of rows.

    The first query reads the ids of the page and the total (``count(*) OVER ()``) in a
    single pass over the matching rows, where ``count()`` then the page would make two; the
    matching rows are selected narrow in a subquery, so that the window function keeps only
    what sorting needs. The second loads the page's rows through ``loader`` (with its
    joins). A page past the end costs one more query, to count.
    """
    offset = min((max(page, 1) - 1) * page_size, MAX_OFFSET)
    columns = list(dict.fromkeys(["id", "rank", "distance_km", *(name for name, _desc in search.keys)]))
    inner, params = search.qs.order_by().values_list(*columns).query.sql_with_params()
    quote = connection.ops.quote_name
    order = ", ".join(f"{quote(name)} {'DESC' if desc else 'ASC NULLS LAST'}" for name, desc in search.keys)
    sql = (
        f"SELECT {quote('id')}, {quote('rank')}, {quote('distance_km')}, COUNT(*) OVER () "  # noqa: S608
        f"FROM ({inner} OFFSET 0) AS matching ORDER BY {order} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, page_size, offset])
        rows = cursor.fetchall()
    if not rows:
        return SearchPage(count=search.qs.count() if offset else 0, items=[])
    objects = loader.in_bulk([pk for pk, *_rest in rows])
    items = []
    for pk, rank, distance, _total in rows:
        obj = objects[pk]
        obj.rank, obj.distance_km = rank, distance
        items.append(obj)
    return SearchPage(count=rows[0][3], items=items)


def service_search_page(
    *,
    filters: SearchFilters,
    page: int = 1,
    page_size: int = 20,
    user: Any = None,
    now: datetime | None = None,
    only: Sequence[str] | None = None,
) -> SearchPage:
    """One page of ``service_search`` and the total: two queries (plus the probes above).

    Matched, ranked, counted and paged on ``ServiceSearchIndex``; only the page's services
    are read from ``directory_service``, with their structure and communes, or, given
    ``only`` (fields of the service, and of its structure as ``structure__name``…), with
    just those fields and their structure: building the page's objects then costs a few
    milliseconds less (3 to 4 ms for 20 services, measured); any other field is then read
    with a query per object.
    """
    if only is not None:
        loader = Service.objects.select_related("structure").only(*only)
    else:
        loader = Service.objects.select_related("structure__commune", "commune").defer("search_vector", "search_text")
    return _window_page(_services(filters, now, indexed=True), loader, page, page_size)


# --- Structures --------------------------------------------------------------------------


def _structures(filters: SearchFilters) -> _Search:
    point = search_point(filters)
    text = text_query(filters.q)
    query = search_query(text) if text is not None else None

    qs: QuerySet[Any] = Structure.objects.filter(is_active=True)
    if filters.thematiques:
        with_theme = Service.objects.filter(
            structure=OuterRef("pk"), is_active=True, thematiques__overlap=list(filters.thematiques)
        )
        qs = qs.filter(Exists(with_theme))
    if query is not None:
        # Through the services' indexed vectors (their text has the structure's name and
        # commune): no vector to compute for every structure. Only the matching structures'
        # own vector (name, description) is computed, to rank them.
        matching = Service.objects.filter(is_active=True, search_vector=query).order_by().values("structure_id")
        vector = SearchVector("name", weight="A", config=SEARCH_CONFIG) + SearchVector(
            "description", weight="C", config=SEARCH_CONFIG
        )
        qs = qs.filter(pk__in=Subquery(matching)).annotate(rank=SearchRank(vector, query, cover_density=True))
        rank_keys = [("rank", True)]
    else:
        qs = qs.annotate(rank=Value(0.0, output_field=FloatField()))
        rank_keys = []
    qs, distance_keys = _placed(qs, point, filters.radius_km, inherited=False)
    return _Search(qs, [*rank_keys, *distance_keys, ("name", False), ("id", False)])


def _with_services_count(qs: QuerySet[Structure]) -> QuerySet[Structure]:
    active = Service.objects.filter(structure=OuterRef("pk"), is_active=True).order_by().values("structure")
    return qs.annotate(services_count=Coalesce(Subquery(active.annotate(n=Count("*")).values("n")), Value(0)))


def structure_search(*, filters: SearchFilters, user: Any = None) -> QuerySet[Structure]:
    """Active structures matching ``q``, the point and the radius, annotated with ``rank``,
    ``distance_km`` and ``services_count`` (active services), the commune prefetched.

    A structure matches ``q`` when one of its active services does: a service's text holds
    its structure's name and commune, so the services' full-text index finds structures by
    name and commune, and by what they offer. Structures have no search column of their own:
    computing their vectors on the fly took 0.6 to 1 s for 25,000 structures; here only the
    matching ones get one, from their name (A) and description (C), to be ranked. So a
    structure without active services is not found by words, and neither is a word found
    only in a structure's description. Of the service filters, ``thematiques`` applies
    (structures offering such a service).
    """
    search = _structures(filters)
    return _with_services_count(search.ordered()).prefetch_related("commune")


def structure_search_page(
    *, filters: SearchFilters, page: int = 1, page_size: int = 20, user: Any = None
) -> SearchPage:
    """One page of ``structure_search`` and the total: two queries (plus the probes)."""
    loader = _with_services_count(Structure.objects.select_related("commune"))
    return _window_page(_structures(filters), loader, page, page_size)
