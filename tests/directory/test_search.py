"""The directory search (selectors): relevance, typos, filters, opening hours, radius, bad input,
and the ``generate_directory`` command that feeds the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from maillage.directory import enums, selectors
from maillage.directory.indexing import refresh_search_vectors, search_text_for
from maillage.directory.models import Service, Structure
from maillage.directory.selectors import SearchFilters, service_search, service_search_page, structure_search
from maillage.territory.management.commands.load_territory import load_territory, read_data
from maillage.territory.models import Commune
from tests.directory.factories import ServiceFactory, StructureFactory

FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
HEALTH = "sante--acces-aux-soins"
TRAINING = "se-former--trouver-sa-formation"
FOOD = "equipement-et-alimentation--alimentation"
LILLE, ROUBAIX, ARRAS = "59350", "59512", "62041"


def ensure_territory() -> None:
    """Lille, Roubaix and Arras are in the database (a transactional test may have flushed them)."""
    if Commune.objects.filter(code__in=[LILLE, ROUBAIX, ARRAS]).count() != 3:
        load_territory(read_data(), {"59", "62", "93"})


@pytest.fixture
def territory(db: None) -> None:
    ensure_territory()


def centroid(code: str) -> tuple[float, float]:
    commune = Commune.objects.get(code=code)
    assert commune.latitude is not None and commune.longitude is not None
    return commune.latitude, commune.longitude


@dataclass
class Corpus:
    lille: Structure
    arras: Structure
    course: Service
    workshop: Service
    mediation: Service
    training: Service
    food_arras: Service
    hidden: Service
    hidden_structure: Service


@pytest.fixture
def corpus(territory: None) -> Corpus:
    return build_corpus()


def build_corpus() -> Corpus:
    """Five active services (four in Lille, one in Arras) and two hidden ones."""
    lat, lon = centroid(LILLE)
    lille = StructureFactory(name="AREAS", commune_id=LILLE, latitude=lat + 0.003, longitude=lon + 0.003)
    arras_lat, arras_lon = centroid(ARRAS)
    arras = StructureFactory(
        name="Secours solidaire", commune_id=ARRAS, latitude=arras_lat, longitude=arras_lon, opening_hours="24/7"
    )
    closed = StructureFactory(name="Fermée", is_active=False)
    corpus = Corpus(
        lille=lille,
        arras=arras,
        course=ServiceFactory(
            structure=lille,
            name="Cours de français",
            description="Apprendre le français à l'oral et à l'écrit.",
            thematiques=[FRENCH],
            kind=enums.ServiceKind.FRENCH_COURSE,
            publics=["personnes-exilees"],
            languages=["fr", "ro"],
            fees="gratuit",
            reception_modes=["en-presentiel"],
            opening_hours="24/7",
        ),
        workshop=ServiceFactory(
            structure=lille,
            name="Atelier d'écriture",
            description="Écrire des lettres et remplir des formulaires.",
            thematiques=[FRENCH],
            publics=["tous-publics"],
            languages=["fr"],
            fees="payant",
            reception_modes=["en-presentiel"],
        ),
        mediation=ServiceFactory(
            structure=lille,
            name="Médiation santé",
            description="Accompagnement vers les soins et l'assurance maladie.",
            thematiques=[HEALTH],
            publics=["femmes"],
            languages=["fr", "bg"],
            fees="payant",
            reception_modes=["a-distance"],
            opening_hours="off",
            latitude=lat - 0.02,  # about 2 km south of the structure
            longitude=lon,
        ),
        training=ServiceFactory(
            structure=lille,
            name="Formation linguistique à visée professionnelle",
            description="Préparer un métier.",
            thematiques=[TRAINING],
            publics=["demandeurs-emploi"],
            languages=["fr"],
            fees="gratuit",
        ),
        food_arras=ServiceFactory(
            structure=arras,
            name="Aide alimentaire",
            description="Colis alimentaires le mardi.",
            thematiques=[FOOD],
            publics=["familles"],
            languages=["fr"],
            fees="gratuit",
        ),
        hidden=ServiceFactory(structure=lille, name="Cours de français du soir", thematiques=[FRENCH], is_active=False),
        hidden_structure=ServiceFactory(structure=closed, name="Cours de français fermé", thematiques=[FRENCH]),
    )
    # As services._prepare does, the search text ends with the commune's name.
    for service in Service.objects.select_related("commune", "structure__commune"):
        commune = service.commune or service.structure.commune
        service.search_text = search_text_for(
            name=service.name,
            thematiques=service.thematiques,
            structure_name=service.structure.name,
            extra=commune.name if commune else "",
        )
        service.save(update_fields=["search_text"])
    refresh_search_vectors()
    return corpus


def names(qs: Any) -> list[str]:
    return [service.name for service in qs]


def search(**filters: Any) -> list[Service]:
    return list(service_search(filters=SearchFilters(**filters)))


pytestmark = pytest.mark.django_db


# --- Text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["francais", "français", "FRANÇAIS", "fransais"])
def test_french_course_comes_first(corpus: Corpus, q: str) -> None:
    results = search(q=q)
    # The workshop's theme is "Maîtriser le français" (weight B): found, after the course
    # whose name has the word (weight A). Inactive entries are never found.
    assert results == [corpus.course, corpus.workshop]


def test_typos_among_other_words(corpus: Corpus) -> None:
    assert search(q="cours de fransais") == [corpus.course]
    assert search(q="atelier fransais") == [corpus.workshop]


def test_rank_is_annotated_and_decreasing(corpus: Corpus) -> None:
    ranks = [service.rank for service in search(q="français")]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 0


@pytest.mark.parametrize("q", ["médiation", "mediation", "MÉDIATION", "Mediation sante"])
def test_accents_and_case_are_ignored(corpus: Corpus, q: str) -> None:
    assert search(q=q) == [corpus.mediation]


def test_stemming(corpus: Corpus) -> None:
    assert search(q="cours")[0] == corpus.course
    assert search(q="formations") == [corpus.training]
    assert search(q="ateliers") == [corpus.workshop]


def test_words_are_all_required_and_web_search_syntax_works(corpus: Corpus) -> None:
    assert search(q="cours français") == [corpus.course]
    assert search(q='"cours de français"') == [corpus.course]
    assert corpus.course not in search(q="français -cours")
    assert set(search(q="médiation or alimentaire")) == {corpus.mediation, corpus.food_arras}


def test_typos_are_corrected_only_when_nothing_matches(corpus: Corpus) -> None:
    assert selectors.spelling_corrections(("fransais", "cours")) == {"fransais": ["francais"]}
    assert search(q="alimentaire")[0] == corpus.food_arras
    assert search(q="alimantaire")[0] == corpus.food_arras
    assert search(q="xqzwv") == []


@pytest.mark.parametrize("q", ["", "   ", "!!!", "« — »", "''", "de la"])
def test_a_query_without_words_filters_nothing(corpus: Corpus, q: str) -> None:
    results = search(q=q)
    assert len(results) == 5
    assert {service.rank for service in results} == {0.0}


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE directory_service; --",
        '" OR 1=1 --',
        "a'b\"c\\d%_",
        "😀 cours 🇫🇷",
        "\x00cours",
        "x" * 10_000,
        "cours " * 2_000,
        "<script>alert(1)</script>",
        "((( !!! & | :* <-> )))",
        "-",
        '"',
    ],
)
def test_any_string_is_safe(corpus: Corpus, q: str) -> None:
    search(q=q)
    list(structure_search(filters=SearchFilters(q=q)))
    assert Service.objects.filter(pk=corpus.course.pk).exists()


def test_long_queries_are_truncated() -> None:
    text = selectors.text_query("cours " * 100)
    assert text is not None and len(text.raw) <= selectors.MAX_QUERY_LENGTH


# --- Filters -------------------------------------------------------------------------------


def test_thematique_filter_is_any_of(corpus: Corpus) -> None:
    assert set(search(thematiques=[FRENCH])) == {corpus.course, corpus.workshop}
    assert set(search(thematiques=[HEALTH, FOOD])) == {corpus.mediation, corpus.food_arras}
    assert search(q="médiation", thematiques=[FRENCH]) == []


def test_public_filter_includes_services_for_everyone(corpus: Corpus) -> None:
    assert set(search(publics=["femmes"])) == {corpus.mediation, corpus.workshop}
    assert set(search(publics=["familles", "demandeurs-emploi"])) == {
        corpus.food_arras,
        corpus.training,
        corpus.workshop,
    }


def test_free_language_mode_kind_and_structure_filters(corpus: Corpus) -> None:
    assert set(search(free=True)) == {corpus.course, corpus.training, corpus.food_arras}
    assert search(languages=["bg"]) == [corpus.mediation]
    assert set(search(languages=["ro", "bg"])) == {corpus.course, corpus.mediation}
    assert search(reception_modes=["a-distance"]) == [corpus.mediation]
    assert search(kind=enums.ServiceKind.FRENCH_COURSE) == [corpus.course]
    assert search(structure=corpus.arras.pk) == [corpus.food_arras]
    assert search(free=True, languages=["ro"], q="cours") == [corpus.course]


def test_open_now_uses_the_service_hours_else_the_structure_hours(corpus: Corpus) -> None:
    # course: "24/7"; mediation: "off"; food_arras: none of its own, its structure is "24/7";
    # workshop and training: no hours anywhere.
    assert set(search(open_now=True)) == {corpus.course, corpus.food_arras}
    assert search(open_now=True, q="médiation") == []
    assert search(open_now=True, q="cours") == [corpus.course]


def test_open_now_follows_the_clock(corpus: Corpus) -> None:
    Service.objects.filter(pk=corpus.workshop.pk).update(opening_hours="Mo-Fr 09:00-12:00")
    paris = ZoneInfo("Europe/Paris")
    monday_morning = datetime(2025, 3, 3, 10, 0, tzinfo=paris)
    sunday = datetime(2025, 3, 2, 10, 0, tzinfo=paris)
    filters = SearchFilters(open_now=True, thematiques=[FRENCH])
    assert set(service_search(filters=filters, now=monday_morning)) == {corpus.course, corpus.workshop}
    assert list(service_search(filters=filters, now=sunday)) == [corpus.course]
    assert selectors.hours_open_at("not OSM at all", monday_morning) is False


# --- Point and radius ----------------------------------------------------------------------


def test_radius_around_a_commune(corpus: Corpus) -> None:
    assert corpus.course in search(commune=LILLE, radius_km=5)
    assert corpus.course not in search(commune=ARRAS, radius_km=5)
    assert search(commune=ARRAS, radius_km=5) == [corpus.food_arras]
    assert set(search(commune=ROUBAIX, radius_km=15)) == {
        corpus.course,
        corpus.workshop,
        corpus.mediation,
        corpus.training,
    }


def test_radius_around_a_point_and_distances(corpus: Corpus) -> None:
    lat, lon = centroid(LILLE)
    results = search(lat=lat, lon=lon, radius_km=200)
    distances = [service.distance_km for service in results]
    assert distances == sorted(distances)
    assert results[-1] == corpus.food_arras  # Arras, about 40 km away
    assert 30 < corpus_distance(results, corpus.food_arras) < 50
    # Services without coordinates are at their structure's (about 0.4 km from the centroid).
    assert corpus_distance(results, corpus.course) == pytest.approx(0.4, abs=0.1)
    assert corpus_distance(results, corpus.mediation) == pytest.approx(2.2, abs=0.1)
    assert all(d == round(d, 1) for d in distances)
    assert corpus.mediation not in search(lat=lat, lon=lon, radius_km=1.5)
    assert corpus.mediation in search(lat=lat, lon=lon, radius_km=2.5)


def corpus_distance(results: list[Service], service: Service) -> float:
    return next(s.distance_km for s in results if s.pk == service.pk)


def test_text_first_then_distance(corpus: Corpus) -> None:
    far = ServiceFactory(structure=corpus.arras, name="Cours de français", thematiques=[FRENCH])
    results = search(q="cours de français", commune=LILLE)
    assert results[:2] == [corpus.course, far]  # same relevance: the nearest first
    assert results[0].distance_km < results[1].distance_km


def test_no_point_means_no_distance(corpus: Corpus) -> None:
    assert {service.distance_km for service in search(q="cours")} == {None}


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"radius_km": 5}, "radius_km"),
        ({"lat": 50.6, "radius_km": 5}, "lon"),
        ({"lon": 3.0}, "lat"),
        ({"lat": 91.0, "lon": 3.0}, "lat"),
        ({"commune": "99999"}, "commune"),
        ({"commune": "5935"}, "commune"),
        ({"commune": "\x00"}, "commune"),
        ({"commune": LILLE, "radius_km": 0}, "radius_km"),
        ({"commune": LILLE, "radius_km": 201}, "radius_km"),
    ],
)
def test_bad_points_are_validation_errors(territory: None, filters: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        service_search(filters=SearchFilters(**filters))
    assert field in error.value.message_dict


def test_bounding_box_contains_the_circle() -> None:
    lat_min, lat_max, lon_min, lon_max = selectors.bounding_box((50.63, 3.06), 10)
    assert lat_max - lat_min == pytest.approx(0.18, abs=0.005)
    assert lon_max - lon_min > lat_max - lat_min  # a degree of longitude is shorter up north
    assert selectors.bounding_box((89.99, 0), 50)[2:] == (-180.0, 180.0)


# --- Pages and structures ------------------------------------------------------------------


def test_page_selector_agrees_with_the_queryset(corpus: Corpus) -> None:
    for filters in (SearchFilters(), SearchFilters(q="cours"), SearchFilters(commune=LILLE, radius_km=50)):
        qs = service_search(filters=filters)
        first = service_search_page(filters=filters, page=1, page_size=2)
        second = service_search_page(filters=filters, page=2, page_size=2)
        assert first.count == second.count == qs.count()
        assert first.items + second.items == list(qs)[:4]
        assert [s.distance_km for s in first.items] == [s.distance_km for s in qs[:2]]
    beyond = service_search_page(filters=SearchFilters(), page=50, page_size=20)
    assert beyond.count == 5 and beyond.items == []


def test_structure_search(corpus: Corpus) -> None:
    found = list(structure_search(filters=SearchFilters(q="areas")))
    assert found == [corpus.lille]
    assert found[0].services_count == 4  # the inactive one is not counted
    assert list(structure_search(filters=SearchFilters(q="arras"))) == [corpus.arras]  # its commune
    assert list(structure_search(filters=SearchFilters(q="secour solidair"))) == [corpus.arras]
    near_arras = list(structure_search(filters=SearchFilters(commune=ARRAS, radius_km=10)))
    assert near_arras == [corpus.arras] and near_arras[0].distance_km == 0.0
    themed = structure_search(filters=SearchFilters(thematiques=[FOOD]))
    assert list(themed) == [corpus.arras]
    assert corpus.hidden_structure.structure not in structure_search(filters=SearchFilters())


# --- generate_directory --------------------------------------------------------------------


def test_generate_directory(territory: None) -> None:
    call_command("generate_directory", services=60, structures=12, source="test-gen", departments="59", seed=3)
    services = Service.objects.filter(source="test-gen")
    assert services.count() == 60
    assert Structure.objects.filter(source="test-gen").count() == 12
    assert not services.filter(search_vector__isnull=True).exists()
    assert not services.filter(search_text="").exists()
    assert services.filter(latitude__isnull=True).exists()  # some at their structure's place
    assert set(Structure.objects.filter(source="test-gen").values_list("commune__department_id", flat=True)) == {"59"}
    for service in services.select_related("structure")[:10]:
        service.full_clean()  # the generated values are valid
    visible = services.filter(is_active=True, structure__is_active=True).first()
    assert visible is not None
    assert visible in service_search(filters=SearchFilters(q=visible.name))

    call_command("generate_directory", services=60, source="test-gen")  # already there: nothing added
    assert services.count() == 60
    call_command("generate_directory", services=70, structures=12, source="test-gen", seed=4)  # topped up
    assert services.count() == 70
    call_command("generate_directory", services=5, structures=2, source="test-gen", replace=True)
    assert services.count() == 5 and Structure.objects.filter(source="test-gen").count() == 2

    with pytest.raises(CommandError):
        call_command("generate_directory", services=1, source=enums.LOCAL_SOURCE)
