"""The refresh job and the period locks: computed values of a locked period are neither deleted
nor rewritten until the period is reopened; refresh runs are serialised by an advisory lock
and hold the lock of value writes."""

from datetime import date

import psycopg
import pytest
from django.db import connection

from maillage.indicators import enums
from maillage.indicators.models import AggregateValue, IndicatorValue
from maillage.indicators.refresh import REFRESH_LOCK_KEY, refresh_all
from maillage.indicators.services import locks
from maillage.indicators.services.locks import period_lock, period_reopen
from maillage.pathways import enums as pathways_enums
from maillage.territory.models import Commune
from tests.indicators.factories import IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, OutcomeFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
JAN, FEB, APR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 4, 1)
K = pathways_enums.OutcomeKind


@pytest.fixture
def coordinator():
    return member("coordinator", OrganisationFactory(departments=["02", "59", "60", "62", "80"]))


@pytest.fixture
def setting():
    organisation = OrganisationFactory(departments=["59"])
    lille = HouseholdFactory(organisation=organisation, commune=Commune.objects.get(code="59350"))
    arras = HouseholdFactory(organisation=organisation, commune=Commune.objects.get(code="62041"))
    indicator = IndicatorFactory(
        code="pathway_positive_outcomes", source=enums.Source.COMPUTED, computation="pathways_outcomes"
    )
    return indicator, lille, arras


def stored(indicator, code, start):
    row = IndicatorValue.objects.filter(
        indicator=indicator,
        territory_level="department",
        territory_code=code,
        period_kind="month",
        period_start=start,
        breakdown="",
    ).first()
    return None if row is None else row.value


def agg(indicator, level, code, kind, start):
    row = AggregateValue.objects.filter(
        indicator=indicator,
        territory_level=level,
        territory_code=code,
        period_kind=kind,
        period_start=start,
        breakdown="",
        kind="actual",
    ).first()
    return None if row is None else row.value


def test_a_locked_period_keeps_its_computed_values_until_reopened(setting, coordinator):
    indicator, lille, arras = setting
    OutcomeFactory(household=lille, kind=K.JOB_PERMANENT, achieved_on=date(2025, 1, 20))
    run = refresh_all(today=TODAY)
    assert run.skipped_locked == 0
    assert stored(indicator, "59", JAN) == 1
    before = IndicatorValue.objects.get(indicator=indicator, territory_code="59", period_start=JAN, breakdown="")

    period_lock(actor=coordinator, territory="department:59", period="2025-Q1", reason="Validated")
    # The Pathways data change: one more outcome in January and one in February (59, locked),
    # one in April (59, open) and one in January in 62 (open).
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2025, 1, 25))
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2025, 2, 3))
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2025, 4, 3))
    OutcomeFactory(household=arras, kind=K.HOUSING, achieved_on=date(2025, 1, 5))
    run = refresh_all(today=TODAY)
    # The locked cells: the January total and its parts (written before or not), February's.
    assert run.skipped_locked == 5  # Jan total, Jan training, Feb total, Feb training, Jan employment
    kept = IndicatorValue.objects.get(pk=before.pk)  # neither deleted nor rewritten
    assert (kept.value, kept.updated_at) == (before.value, before.updated_at)
    assert stored(indicator, "59", FEB) is None
    assert stored(indicator, "59", APR) == 1
    assert stored(indicator, "62", JAN) == 1
    assert agg(indicator, "department", "59", "quarter", JAN) == 1
    assert agg(indicator, "region", "32", "month", JAN) == 2

    period_reopen(actor=coordinator, territory="department:59", period="2025-Q1", reason="Late outcomes")
    run = refresh_all(today=TODAY)
    assert run.skipped_locked == 0
    assert stored(indicator, "59", JAN) == 2
    assert stored(indicator, "59", FEB) == 1
    assert agg(indicator, "department", "59", "quarter", JAN) == 3
    assert agg(indicator, "region", "32", "year", JAN) == 5


def test_a_lock_on_a_containing_territory_and_period_applies(setting, coordinator):
    indicator, lille, arras = setting
    OutcomeFactory(household=lille, kind=K.JOB_PERMANENT, achieved_on=date(2025, 1, 20))
    refresh_all(today=TODAY)
    period_lock(actor=coordinator, territory="region:32", period="2025")
    OutcomeFactory(household=lille, kind=K.TRAINING, achieved_on=date(2025, 4, 3))
    OutcomeFactory(household=arras, kind=K.HOUSING, achieved_on=date(2024, 12, 5))  # 2024: open
    run = refresh_all(today=TODAY)
    assert run.skipped_locked > 0
    assert stored(indicator, "59", JAN) == 1
    assert stored(indicator, "59", APR) is None
    assert stored(indicator, "62", date(2024, 12, 1)) == 1


def test_refresh_runs_are_serialised_and_hold_the_value_write_lock(setting):
    """Inside the test's transaction, the locks taken by ``refresh_all`` are still held: another
    session can take neither the refresh lock (a second run waits) nor the lock changes' one (a
    period can't be locked or reopened during a refresh). Two runs in a row work."""
    indicator, lille, _arras = setting
    OutcomeFactory(household=lille, kind=K.JOB_PERMANENT, achieved_on=date(2025, 1, 20))
    first = refresh_all(today=TODAY)
    second = refresh_all(today=TODAY)
    assert first.error == second.error == ""
    assert second.aggregate_values == first.aggregate_values == AggregateValue.objects.count()
    assert stored(indicator, "59", JAN) == 1
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [REFRESH_LOCK_KEY]).fetchone() == (False,)
        namespace = locks._ADVISORY_NAMESPACE
        assert other.execute("SELECT pg_try_advisory_lock(%s, 0)", [namespace]).fetchone() == (False,)
        # Value writes (shared) still go on during a refresh.
        assert other.execute("SELECT pg_try_advisory_lock_shared(%s, 0)", [namespace]).fetchone() == (True,)
        other.execute("SELECT pg_advisory_unlock_shared(%s, 0)", [namespace])
