"""``services/sites.py`` called directly (the pages are tested in ``test_sites*.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.audit.models import AuditEntry
from maillage.audit.services import SENSITIVE_MARK
from maillage.living_sites import enums
from maillage.living_sites.models import Site
from maillage.living_sites.services import sites as services
from maillage.territory.models import Commune
from tests.living_sites.factories import SiteFactory, SiteUpdateFactory
from tests.organisations.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor() -> Any:
    return member("professional")


def lille() -> Commune:
    return Commune.objects.get(code="59350")


def test_create_copies_the_department_and_journals(actor: Any) -> None:
    site = services.site_create(actor=actor, data={"name": "Rue A", "kind": enums.SiteKind.SQUAT, "commune": lille()})
    assert site.department_id == "59" and site.created_by == actor
    assert site.procedure == enums.LegalProcedure.NONE
    entry = AuditEntry.objects.get(object_id=str(site.pk))
    assert entry.changes["name"] in ("Rue A", [None, "Rue A"])


def test_procedure_is_refused_unless_allowed_even_unchanged(actor: Any) -> None:
    data = {"name": "Rue B", "kind": enums.SiteKind.SQUAT, "commune": lille(), "procedure": "none"}
    with pytest.raises(ValidationError) as error:
        services.site_create(actor=actor, data=data)
    assert "procedure" in error.value.message_dict
    site = services.site_create(actor=actor, data={**data, "procedure": "court"}, may_set_procedure=True)
    assert site.procedure == enums.LegalProcedure.COURT
    with pytest.raises(ValidationError):
        services.site_edit(actor=actor, site=site, data={"procedure_decision": "x"})
    assert not Site.objects.filter(procedure_decision="x").exists()


def test_unknown_fields_are_refused(actor: Any) -> None:
    with pytest.raises(ValidationError) as error:
        services.site_create(actor=actor, data={"name": "C", "kind": "squat", "commune": lille(), "status": "closed"})
    assert "status" in error.value.message_dict
    site = SiteFactory()
    with pytest.raises(ValidationError):
        services.site_edit(actor=actor, site=site, data={"latest_update": None})


def test_edit_without_change_writes_nothing(actor: Any) -> None:
    site = SiteFactory()
    before = AuditEntry.objects.count()
    edited = services.site_edit(actor=actor, site=site, data={"name": site.name}, version=1)
    assert edited.version == 1 and AuditEntry.objects.count() == before
    edited = services.site_edit(actor=actor, site=site, data={"name": "Autre"}, version=1)
    assert edited.version == 2 and AuditEntry.objects.count() == before + 1
    with pytest.raises(ValidationError):
        services.site_edit(actor=actor, site=site, data={"name": "Encore"}, version=1)


def test_edit_moves_the_department_with_the_commune(actor: Any) -> None:
    site = SiteFactory()
    edited = services.site_edit(
        actor=actor,
        site=site,
        data={"commune": Commune.objects.get(code="62193"), "latitude": 50.95, "longitude": 1.86},
    )
    assert edited.department_id == "62"


@pytest.mark.parametrize(
    ("outline", "valid"),
    [
        (None, True),
        ({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, 50.0], [3.1, 50.1], [3.0, 50.0]]]}, True),
        ({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, 50.0], [3.0, 50.0]]]}, False),  # too short
        ({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, 50.0], [3.1, 50.1], [3.0, 50.2]]]}, False),  # open
        ({"type": "Polygon", "coordinates": [[[300.0, 50.0], [3.1, 50.0], [3.1, 50.1], [300.0, 50.0]]]}, False),
        ({"type": "Polygon", "coordinates": [[[True, 50.0], [3.1, 50.0], [3.1, 50.1], [True, 50.0]]]}, False),
        ({"type": "MultiPolygon", "coordinates": []}, False),
    ],
)
def test_outline_validation(actor: Any, outline: Any, valid: bool) -> None:
    data = {"name": "D", "kind": "squat", "commune": lille(), "outline": outline}
    if valid:
        assert services.site_create(actor=actor, data=data).outline == outline
    else:
        with pytest.raises(ValidationError) as error:
            services.site_create(actor=actor, data=data)
        assert "outline" in error.value.message_dict


def test_location_warnings() -> None:
    assert services.location_warnings(commune=lille(), latitude=50.63, longitude=3.06) == []
    assert services.location_warnings(commune=lille(), latitude=None, longitude=3.06) == []
    assert services.location_warnings(commune=None, latitude=3.06, longitude=50.63) == []
    calais = Commune.objects.get(code="62193")
    (warning,) = services.location_warnings(commune=lille(), latitude=calais.latitude, longitude=calais.longitude)
    assert "Lille (59)" in warning


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "people": 10,
                "minors": 4,
                "minors_0_3": 1,
                "minors_3_6": 1,
                "minors_6_12": 1,
                "minors_12_16": 0,
                "minors_16_18": 0,
            },
            "minors",
        ),
        (
            {"people": 10, "minors_0_3": 5, "minors_3_6": 5, "minors_6_12": 5, "minors_12_16": 0, "minors_16_18": 0},
            "minors",
        ),
        ({"people": 10, "languages": {"ro": 11}}, "languages"),
        ({"people": 10, "nationalities": {"RO": True}}, "nationalities"),
        ({"households": 3, "minors": 2, "children_in_school": 3}, "children_in_school"),
        ({}, "people"),
    ],
)
def test_figures_errors(data: dict[str, Any], field: str) -> None:
    assert field in services.figures_errors(data)


def test_coherent_figures_have_no_error() -> None:
    data = {
        "people": 60,
        "households": 15,
        "minors": 25,
        "minors_0_3": 5,
        "minors_3_6": 5,
        "minors_6_12": 8,
        "minors_12_16": 5,
        "minors_16_18": 2,
        "children_in_school": 12,
        "nationalities": {"RO": 50, "BG": 10},
        "languages": {"ro": 50, "rom": 55},
    }
    assert services.figures_errors(data) == {}
    assert services.figures_errors({"minors": 3}) == {}  # some bands unknown: no sum to check


def test_site_status_check() -> None:
    services.site_status_check(Site(status=enums.SiteStatus.OPEN))
    with pytest.raises(ValidationError) as error:
        services.site_status_check(Site(status=enums.SiteStatus.CLOSED, closed_on=date(2026, 1, 1)))
    assert "no new update can be recorded" in str(error.value)


# --- Figures that do not add up when the minors are not given (finding 4) ------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"people": 3, "minors_0_3": 10}, "minors", "add up to 10, more than the 3 people"),
        ({"people": 3, "minors_0_3": 2, "minors_12_16": 2}, "minors", "add up to 4, more than the 3 people"),
        ({"people": 3, "children_in_school": 10}, "children_in_school", "than people (3)"),
    ],
)
def test_bands_and_schooling_are_compared_with_the_people_without_minors(
    data: dict[str, Any], field: str, message: str
) -> None:
    errors = services.figures_errors(data)
    assert message in errors[field]


def test_bands_and_schooling_within_the_people_pass_without_minors() -> None:
    assert services.figures_errors({"people": 5, "minors_0_3": 2, "minors_6_12": 3, "children_in_school": 3}) == {}
    # Without the people there is nothing to compare with.
    assert services.figures_errors({"households": 2, "minors_0_3": 10, "children_in_school": 10}) == {}


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("nationalities", {"ÉÉ": 2}),
        ("nationalities", {"R1": 2}),
        ("languages", {"éé": 2}),
        ("languages", {"ßro": 2}),
    ],
)
def test_codes_must_be_ascii_letters(name: str, counts: dict[str, int]) -> None:
    assert name in services.figures_errors({"people": 10, name: counts})


# --- Dates of a site (finding 5) -------------------------------------------------------------


def test_edit_refuses_a_settlement_after_the_closure_on_its_field(actor: Any) -> None:
    site = SiteFactory(
        opened_on=date(2024, 1, 1), known_since=None, status=enums.SiteStatus.CLOSED, closed_on=date(2025, 6, 30)
    )
    with pytest.raises(ValidationError) as error:
        services.site_edit(actor=actor, site=site, data={"opened_on": date(2025, 7, 1), "known_since": None})
    assert list(error.value.message_dict) == ["opened_on"]
    assert "after its closure (06/30/2025)" in error.value.message_dict["opened_on"][0]
    site.refresh_from_db()
    assert site.opened_on == date(2024, 1, 1)


def test_edit_refuses_a_settlement_after_the_first_observation(actor: Any) -> None:
    site = SiteFactory(opened_on=date(2024, 1, 1))
    SiteUpdateFactory(site=site, observed_on=date(2024, 9, 1))
    SiteUpdateFactory(site=site, observed_on=date(2024, 3, 1))
    with pytest.raises(ValidationError) as error:
        services.site_edit(actor=actor, site=site, data={"opened_on": date(2024, 3, 2), "known_since": None})
    assert "after its first observation (03/01/2024)" in error.value.message_dict["opened_on"][0]
    edited = services.site_edit(actor=actor, site=site, data={"opened_on": date(2024, 3, 1), "known_since": None})
    assert edited.opened_on == date(2024, 3, 1)


def test_the_edit_reads_the_observations_in_one_query(actor: Any) -> None:
    site = SiteFactory(opened_on=date(2024, 1, 1))
    SiteUpdateFactory(site=site, observed_on=date(2024, 9, 1))
    with CaptureQueriesContext(connection) as queries:
        services.site_edit(actor=actor, site=site, data={"opened_on": date(2024, 2, 1), "known_since": None})
    assert sum("living_sites_siteupdate" in q["sql"] for q in queries.captured_queries) == 1


def test_a_closed_site_may_still_be_edited(actor: Any) -> None:
    site = SiteFactory(
        opened_on=date(2024, 1, 1), known_since=None, status=enums.SiteStatus.CLOSED, closed_on=date(2025, 6, 30)
    )
    edited = services.site_edit(actor=actor, site=site, data={"address": "Rue corrigée"})
    assert edited.address == "Rue corrigée" and edited.status == enums.SiteStatus.CLOSED


# --- Audit journal (finding 3) ---------------------------------------------------------------


def test_the_audit_journal_masks_the_procedure_and_the_owner(actor: Any) -> None:
    data = {
        "name": "Rue des Tilleuls",
        "kind": enums.SiteKind.SQUAT,
        "commune": lille(),
        "owner_kind": enums.OwnerKind.PRIVATE,
        "owner_name": "Jean Dupontel",
        "procedure": enums.LegalProcedure.COURT,
        "procedure_decision": "Expulsion ordonnée TJ Lille",
        "procedure_decided_on": date(2025, 3, 1),
        "procedure_deadline": date(2025, 5, 1),
    }
    site = services.site_create(actor=actor, data=data, may_set_procedure=True)
    created = AuditEntry.objects.get(object_type="living_sites.site", object_id=str(site.pk), action="create")
    assert created.changes["name"] == [None, "Rue des Tilleuls"]
    for name in ("owner_name", "procedure", "procedure_decision", "procedure_decided_on", "procedure_deadline"):
        assert created.changes[name] == SENSITIVE_MARK
    services.site_edit(
        actor=actor,
        site=site,
        data={
            "name": "Rue des Tilleuls bis",
            "owner_name": "Marie Dupontel",
            "procedure_decision": "Appel en cours",
            "procedure_deadline": date(2025, 9, 1),
        },
        may_set_procedure=True,
    )
    edited = AuditEntry.objects.get(object_type="living_sites.site", object_id=str(site.pk), action="update")
    assert edited.changes["name"] == ["Rue des Tilleuls", "Rue des Tilleuls bis"]
    assert edited.changes["owner_name"] == SENSITIVE_MARK
    assert edited.changes["procedure_decision"] == SENSITIVE_MARK
    assert edited.changes["procedure_deadline"] == SENSITIVE_MARK
    assert "procedure" not in edited.changes  # unchanged
    text = str(list(AuditEntry.objects.filter(object_type="living_sites.site").values_list("changes", flat=True)))
    for secret in ("Dupontel", "Expulsion", "Appel", "court", "2025-03-01", "2025-05-01", "2025-09-01"):
        assert secret not in text
