"""Computed indicators from Pathways outcomes, households followed, follow-up retention and
the Living sites, through the refresh job."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.indicators import enums
from maillage.indicators.computations import COMPUTATIONS
from maillage.indicators.models import AggregateValue, IndicatorValue
from maillage.indicators.refresh import refresh_all
from maillage.pathways import enums as pathways_enums
from maillage.pathways.models import FollowUp, Household
from maillage.territory.models import Commune
from tests.indicators.factories import IndicatorFactory
from tests.living_sites.factories import ClosureFactory, ClosureHouseholdFactory, SiteFactory, SiteUpdateFactory
from tests.organisations.factories import OrganisationFactory
from tests.pathways.factories import HouseholdFactory, OutcomeFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
K = pathways_enums.OutcomeKind


def computed(code, computation, **kwargs):
    return IndicatorFactory(code=code, source=enums.Source.COMPUTED, computation=computation, **kwargs)


def agg(indicator, level, code, kind, start, breakdown=""):
    row = AggregateValue.objects.filter(
        indicator=indicator,
        territory_level=level,
        territory_code=code,
        period_kind=kind,
        period_start=start,
        breakdown=breakdown,
    ).first()
    return None if row is None else row.value


def aware(y, m, d):
    return timezone.make_aware(datetime(y, m, d, 12))


@pytest.fixture
def households():
    organisation = OrganisationFactory(departments=["59"])
    lille = HouseholdFactory(organisation=organisation, commune=Commune.objects.get(code="59350"))
    arras = HouseholdFactory(organisation=organisation, commune=Commune.objects.get(code="62041"))
    nowhere = HouseholdFactory(organisation=organisation)  # the organisation's department: 59
    Household.objects.filter(pk=lille.pk).update(created_at=aware(2025, 1, 10))
    Household.objects.filter(pk=arras.pk).update(created_at=aware(2025, 2, 10), closed_at=aware(2025, 2, 20))
    Household.objects.filter(pk=nowhere.pk).update(created_at=aware(2024, 6, 1))
    return lille, arras, nowhere


def test_every_computation_of_the_catalogue_is_registered():
    from maillage.indicators.catalogue import COMPUTED, EXTRA

    keys = {c["computation"] for c in COMPUTED.values()} | {e["computation"] for e in EXTRA}
    assert keys == set(COMPUTATIONS)


def test_outcomes_by_month_department_and_kind(households):
    lille, arras, nowhere = households
    indicator = computed("pathway_positive_outcomes", "pathways_outcomes", breakdowns=[enums.Breakdown.OUTCOME])
    OutcomeFactory(household=lille, kind=K.JOB_PERMANENT, achieved_on=date(2025, 1, 20))
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2025, 1, 25))
    OutcomeFactory(household=nowhere, kind=K.HOUSING, achieved_on=date(2025, 2, 3))
    OutcomeFactory(household=lille, kind=K.CIR_SIGNED, achieved_on=date(2025, 5, 3))
    OutcomeFactory(household=arras, kind=K.INTERMEDIATE_HOUSING, achieved_on=date(2025, 2, 15))
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2018, 1, 1))  # outside the window
    run = refresh_all(today=TODAY)
    assert run.computed_values == IndicatorValue.objects.filter(origin="computed").count() > 0
    jan = date(2025, 1, 1)
    assert agg(indicator, "department", "59", "month", jan) == 2
    assert agg(indicator, "department", "59", "month", jan, "outcome=employment") == 1
    assert agg(indicator, "department", "59", "month", jan, "outcome=training") == 1
    assert agg(indicator, "department", "59", "quarter", jan, "outcome=housing") == 1
    assert agg(indicator, "department", "59", "year", jan) == 4
    assert agg(indicator, "department", "59", "year", jan, "outcome=other") == 1
    assert agg(indicator, "department", "62", "year", jan) == 1
    assert agg(indicator, "region", "32", "year", jan) == 5
    assert agg(indicator, "region", "32", "year", jan, "outcome=housing") == 2
    assert agg(indicator, "department", "59", "year", date(2018, 1, 1)) is None
    # Computed values are replaced, not added, by the next run.
    refresh_all(today=TODAY)
    assert agg(indicator, "region", "32", "year", jan) == 5


def test_households_and_persons_followed_are_distinct_counts(households):
    lille, arras, nowhere = households
    PersonFactory(household=lille, sex="female")
    PersonFactory(household=lille, sex="")
    PersonFactory(household=nowhere, sex="male")
    PersonFactory(household=arras, sex="female")
    merged = HouseholdFactory(organisation=lille.organisation, status=pathways_enums.HouseholdStatus.MERGED)
    Household.objects.filter(pk=merged.pk).update(created_at=aware(2025, 1, 1))
    followed = computed("households_followed", "pathways_households_followed", aggregation="distinct_count")
    persons = computed(
        "persons_followed", "pathways_persons_followed", aggregation="distinct_count", breakdowns=["sex"]
    )
    refresh_all(today=TODAY)
    jan, feb, mar = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    assert agg(followed, "department", "59", "month", jan) == 2
    assert agg(followed, "department", "59", "month", date(2024, 12, 1)) == 1
    assert agg(followed, "department", "62", "month", feb) == 1
    assert agg(followed, "department", "62", "month", mar) is None
    assert agg(followed, "department", "59", "year", jan) == 2  # not 2 × 6 months
    assert agg(followed, "region", "32", "year", jan) == 3
    assert agg(followed, "region", "32", "quarter", jan) == 3
    assert agg(persons, "region", "32", "year", jan) == 4
    assert agg(persons, "region", "32", "year", jan, "sex=female") == 2
    assert agg(persons, "department", "59", "year", jan, "sex=other") == 1


def test_follow_up_retention(households):
    lille, _arras, _nowhere = households
    indicator = computed(
        "pathway_outcome_employment_6m", "pathways_retention_employment", unit="percent", aggregation="average"
    )
    situations = [
        ("done", "same"),
        ("done", "improved"),
        ("done", "same"),
        ("done", "worse"),
        ("lost", ""),
        ("scheduled", ""),
    ]
    for status, situation in situations:
        outcome = OutcomeFactory(household=lille, kind=K.JOB_SHORT, achieved_on=date(2024, 3, 1))
        FollowUp.objects.create(outcome=outcome, months=6, due_on=date(2024, 9, 1), status=status, situation=situation)
    training = OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2024, 3, 1))
    FollowUp.objects.create(outcome=training, months=6, due_on=date(2024, 9, 1), status="done", situation="worse")
    refresh_all(today=TODAY)
    assert agg(indicator, "department", "59", "year", date(2024, 1, 1)) == Decimal("60.00")  # 3 of 5
    assert agg(indicator, "region", "32", "year", date(2024, 1, 1)) == Decimal("60.00")


def test_shares_on_fewer_units_than_the_threshold_are_not_published(households, settings):
    """A share whose denominator is below SMALL_CELL_THRESHOLD is neither stored nor rolled up."""
    settings.SMALL_CELL_THRESHOLD = 5
    lille, _arras, _nowhere = households
    retention = computed(
        "pathway_outcome_employment_6m", "pathways_retention_employment", unit="percent", aggregation="average"
    )
    for status in ("done", "done", "done", "lost"):  # 4 followed up in 2024
        outcome = OutcomeFactory(household=lille, kind=K.JOB_SHORT, achieved_on=date(2024, 3, 1))
        FollowUp.objects.create(outcome=outcome, months=6, due_on=date(2024, 9, 1), status=status, situation="same")
    for _ in range(5):  # 5 in 2023
        outcome = OutcomeFactory(household=lille, kind=K.JOB_SHORT, achieved_on=date(2023, 3, 1))
        FollowUp.objects.create(outcome=outcome, months=6, due_on=date(2023, 9, 1), status="done", situation="same")
    closure = computed(
        "site_closure_with_solution_share", "sites_closure_solution", unit="percent", aggregation="average"
    )
    small = SiteFactory(status="closed", closed_on=date(2025, 3, 1), closure_reason="resorption")
    closure_small = ClosureFactory(site=small)
    for solution in ("housing", "unknown"):  # 2 households
        ClosureHouseholdFactory(closure=closure_small, solution=solution)
    large = SiteFactory(status="closed", closed_on=date(2024, 3, 1), closure_reason="resorption")
    closure_large = ClosureFactory(site=large)
    for solution in ("housing", "housing", "shelter", "unknown", "unknown"):  # 5 households
        ClosureHouseholdFactory(closure=closure_large, solution=solution)
    school = computed("site_minors_in_school_share", "sites_minors_in_school", unit="percent", aggregation="average")
    site = SiteFactory(opened_on=date(2025, 1, 5), known_since=date(2025, 1, 5))
    SiteUpdateFactory(site=site, observed_on=date(2025, 2, 10), people=6, minors=3, children_in_school=1)
    SiteUpdateFactory(site=site, observed_on=date(2025, 4, 10), people=9, minors=6, children_in_school=3)
    refresh_all(today=TODAY)
    y2023, y2024, y2025 = date(2023, 1, 1), date(2024, 1, 1), date(2025, 1, 1)
    assert not IndicatorValue.objects.filter(indicator=retention, period_start=y2024).exists()
    assert agg(retention, "department", "59", "year", y2024) is None
    assert agg(retention, "region", "32", "year", y2024) is None
    assert agg(retention, "department", "59", "year", y2023) == 100
    assert agg(closure, "department", "59", "year", y2025) is None
    assert agg(closure, "region", "32", "year", y2025) is None
    assert agg(closure, "department", "59", "year", y2024) == 60
    assert agg(school, "department", "59", "month", date(2025, 2, 1)) is None  # 1 of 3 minors
    assert agg(school, "region", "32", "month", date(2025, 3, 1)) is None
    assert agg(school, "department", "59", "month", date(2025, 4, 1)) == 50  # 3 of 6
    # The quarter and the year: the mean of the months published only.
    assert agg(school, "department", "59", "quarter", y2025) is None
    assert agg(school, "department", "59", "year", y2025) == 50


def test_living_sites_people_and_schooling():
    site = SiteFactory(opened_on=date(2025, 1, 5), known_since=date(2025, 1, 5))
    SiteUpdateFactory(site=site, observed_on=date(2025, 2, 10), people=60, minors=25, children_in_school=10)
    SiteUpdateFactory(site=site, observed_on=date(2025, 4, 10), people=50, minors=20, children_in_school=15)
    people = computed("people_living_in_informal_sites", "sites_people", aggregation="last", breakdowns=["age_band"])
    sites = computed("informal_sites_active", "sites_open", aggregation="last", breakdowns=[])
    school = computed("site_minors_in_school_share", "sites_minors_in_school", unit="percent", aggregation="average")
    refresh_all(today=TODAY)
    q1, q2 = date(2025, 1, 1), date(2025, 4, 1)
    assert agg(people, "department", "59", "month", date(2025, 1, 1)) == 0  # open, no figures yet
    assert agg(people, "department", "59", "quarter", q1) == 60
    assert agg(people, "department", "59", "year", q1) == 50
    assert agg(people, "region", "32", "year", q1, "age_band=0_17") == 20
    assert agg(sites, "department", "59", "year", q1) == 1
    assert agg(school, "department", "59", "month", date(2025, 2, 1)) == Decimal("40.00")
    assert agg(school, "region", "32", "month", date(2025, 5, 1)) == Decimal("75.00")
    assert agg(school, "department", "59", "quarter", q2) == Decimal("75.00")
