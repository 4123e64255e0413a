"""``services/sites.py`` called directly (the pages are tested in ``test_sites*.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from maillage.audit.models import AuditEntry
from maillage.living_sites import enums
from maillage.living_sites.models import Site
from maillage.living_sites.services import sites as services
from maillage.territory.models import Commune
from tests.living_sites.factories import SiteFactory
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
    with pytest.raises(ValidationError):
        services.site_status_check(Site(status=enums.SiteStatus.CLOSED, closed_on=date(2026, 1, 1)))
