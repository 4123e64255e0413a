"""The reads given to the Indicators module, against hand-computed figures."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.living_sites import indicators
from maillage.territory.models import Department
from tests.living_sites.factories import (
    ActionFundingFactory,
    ActionIndicatorFactory,
    ClosureFactory,
    ClosureHouseholdFactory,
    SiteActionFactory,
    SiteFactory,
    SiteUpdateFactory,
)
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _update(site, on, people, households, minors, in_school):
    return SiteUpdateFactory(
        site=site,
        observed_on=on,
        people=people,
        households=households,
        minors=minors,
        children_in_school=in_school,
    )


@pytest.fixture
def sites():
    # A: open, two updates; the one before the date counts.
    a = SiteFactory(name="A", opened_on=date(2023, 4, 1))
    _update(a, date(2026, 1, 10), 40, 10, 15, 6)
    _update(a, date(2026, 9, 1), 60, 14, 20, 9)
    # B: closed on 2026-03-01, last seen with 30 people.
    b = SiteFactory(
        name="B", commune_code="59512", opened_on=date(2024, 1, 1), status="closed", closed_on=date(2026, 3, 1)
    )
    _update(b, date(2025, 12, 1), 30, 8, 12, 5)
    # C: known only from 2026-07-15 (settlement date unknown).
    SiteFactory(name="C", opened_on=None, known_since=date(2026, 7, 15))
    # D: open, no figures yet.
    SiteFactory(name="D", opened_on=date(2025, 1, 1))
    # E: in Pas-de-Calais.
    e = SiteFactory(name="E", commune_code="62193", opened_on=date(2022, 6, 1), known_since=date(2022, 6, 1))
    _update(e, date(2026, 5, 1), 12, 3, 5, 2)


def test_site_figures_counts_open_sites_with_their_latest_figures_before_the_date(sites, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = indicators.site_figures(on=date(2026, 6, 30))
    assert rows == [
        # A (its January update, not September's) and D (no figures); B closed, C not yet known.
        {
            "department": "59",
            "sites": 2,
            "sites_with_figures": 1,
            "people": 40,
            "households": 10,
            "minors": 15,
            "children_in_school": 6,
        },
        {
            "department": "62",
            "sites": 1,
            "sites_with_figures": 1,
            "people": 12,
            "households": 3,
            "minors": 5,
            "children_in_school": 2,
        },
    ]


def test_site_figures_before_the_closure_and_by_department(sites):
    # On 2026-02-01, B is still open (with its December figures); E filtered out.
    assert indicators.site_figures(on=date(2026, 2, 1), department="59") == [
        {
            "department": "59",
            "sites": 3,
            "sites_with_figures": 2,
            "people": 70,
            "households": 18,
            "minors": 27,
            "children_in_school": 11,
        }
    ]
    # A site closed on the date itself still counts that day; after, it does not.
    assert indicators.site_figures(on=date(2026, 3, 1), department="59")[0]["sites"] == 3
    assert indicators.site_figures(on=date(2026, 3, 2), department="59")[0]["sites"] == 2
    # After September, A counts with its September update; C is known.
    row = indicators.site_figures(on=date(2026, 10, 1), department="59")[0]
    assert (row["sites"], row["people"], row["households"]) == (3, 60, 14)
    assert indicators.site_figures(on=date(2021, 1, 1)) == []


@pytest.fixture
def actions():
    nord, pas_de_calais = Department.objects.get(code="59"), Department.objects.get(code="62")
    first = SiteActionFactory(department=nord, domain="schooling", started_on=date(2024, 9, 1))
    second = SiteActionFactory(department=nord, domain="schooling", started_on=date(2025, 1, 1))
    third = SiteActionFactory(
        department=pas_de_calais,
        domain="health_mediation",
        lead_organisation=OrganisationFactory(departments=["62"]),
        started_on=date(2025, 1, 1),
    )
    ActionIndicatorFactory(
        action=first, year=2025, label="Children enrolled", code="school-enrolment", planned=30, achieved=22
    )
    ActionIndicatorFactory(action=first, year=2025, label="Families met", planned=10, achieved=8)
    ActionIndicatorFactory(
        action=second, year=2025, label="Enrolled children", code="school-enrolment", planned=20, achieved=15
    )
    ActionIndicatorFactory(
        action=second, year=2026, label="Enrolled children", code="school-enrolment", planned=99, achieved=99
    )
    ActionIndicatorFactory(action=third, year=2025, label="Health checks", unit="checks", planned=50, achieved=None)
    ActionFundingFactory(action=first, year=2025, funder_kind="state", funder="DIHAL", amount=20000)
    ActionFundingFactory(action=first, year=2025, funder_kind="municipality", funder="Lille", amount=5000)
    ActionFundingFactory(action=second, year=2025, funder_kind="state", funder="DIHAL", amount=10000)
    ActionFundingFactory(action=second, year=2026, funder_kind="state", funder="DIHAL", amount=99999)
    ActionFundingFactory(action=third, year=2025, funder_kind="europe", funder="FSE+", amount=Decimal("7000.50"))
    return first, second, third


def test_action_indicator_totals(actions, django_assert_num_queries):
    with django_assert_num_queries(2):
        totals = indicators.action_indicator_totals(year=2025)
    assert totals["by_indicator"] == [
        {
            "key": "Families met",
            "code": "",
            "label": "Families met",
            "unit": "people",
            "planned": 10,
            "achieved": 8,
            "actions": 1,
        },
        {
            "key": "Health checks",
            "code": "",
            "label": "Health checks",
            "unit": "checks",
            "planned": 50,
            "achieved": 0,
            "actions": 1,
        },
        {
            "key": "school-enrolment",
            "code": "school-enrolment",
            "label": "Children enrolled",
            "unit": "people",
            "planned": 50,
            "achieved": 37,
            "actions": 2,
        },
    ]
    assert totals["by_domain"] == [
        {"domain": "health_mediation", "unit": "checks", "planned": 50, "achieved": 0, "actions": 1},
        {"domain": "schooling", "unit": "people", "planned": 60, "achieved": 45, "actions": 2},
    ]
    nord = indicators.action_indicator_totals(year=2025, department="59")
    assert [row["domain"] for row in nord["by_domain"]] == ["schooling"]


def test_action_funding_totals(actions, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = indicators.action_funding_totals(year=2025)
    assert rows == [
        {"funder_kind": "europe", "amount": Decimal("7000.50"), "fundings": 1, "actions": 1},
        {"funder_kind": "municipality", "amount": Decimal(5000), "fundings": 1, "actions": 1},
        {"funder_kind": "state", "amount": Decimal(30000), "fundings": 2, "actions": 2},
    ]
    assert [r["funder_kind"] for r in indicators.action_funding_totals(year=2025, department="59")] == [
        "municipality",
        "state",
    ]
    assert indicators.actions_running(year=2024) == 1
    assert indicators.actions_running(year=2025, department="62") == 1


def test_closure_solution_totals(django_assert_num_queries):
    x = SiteFactory(status="closed", closed_on=date(2026, 3, 1), closure_reason="resorption")
    closure_x = ClosureFactory(site=x)
    for solution, people in [("housing", 4), ("shelter", 3), ("unknown", 5)]:
        ClosureHouseholdFactory(closure=closure_x, solution=solution, people=people)
    y = SiteFactory(status="closed", closed_on=date(2026, 10, 1), closure_reason="court_eviction")
    closure_y = ClosureFactory(site=y)
    ClosureHouseholdFactory(closure=closure_y, solution="return", people=2)
    ClosureHouseholdFactory(closure=closure_y, solution="unknown", people=None)
    SiteFactory(commune_code="62193", status="closed", closed_on=date(2026, 5, 1), closure_reason="fire")
    earlier = SiteFactory(status="closed", closed_on=date(2025, 12, 1))
    ClosureHouseholdFactory(closure=ClosureFactory(site=earlier), solution="housing")
    ClosureHouseholdFactory(closure=ClosureFactory(site=SiteFactory()), solution="housing")  # still open
    with django_assert_num_queries(1):
        totals = indicators.closure_solution_totals(year=2026)
    assert (totals["closures"], totals["households"], totals["with_solution"], totals["share"]) == (3, 5, 3, 60.0)
    assert (totals["people"], totals["people_with_solution"], totals["people_share"]) == (14, 9, 64.3)
    by_solution = {row["solution"]: row["households"] for row in totals["by_solution"]}
    assert by_solution == {"housing": 1, "shelter": 1, "insertion_site": 0, "return": 1, "other": 0, "unknown": 2}
    calais = indicators.closure_solution_totals(year=2026, department="62")
    assert (calais["closures"], calais["households"], calais["share"]) == (1, 0, None)
