"""The locks page: coordinators lock and reopen (with a reason) the periods of the territories
they coordinate; the history; the policy; the number of queries."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.indicators.models import IndicatorValue, PeriodLock, PeriodLockEvent
from maillage.indicators.services.locks import period_lock, period_reopen
from maillage.indicators.services.values import value_set
from tests.conftest import verified_login
from tests.indicators.factories import IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

LOCKS = reverse("indicators:locks")
REOPEN = reverse("indicators:lock_reopen")


@pytest.fixture
def coordinator(client):
    user = member("coordinator", OrganisationFactory(departments=["59", "62"]))
    verified_login(client, user)
    return user


@pytest.mark.parametrize("role", ["professional", "manager", "volunteer", "partner"])
def test_only_coordinators_reach_the_page(client, role):
    client.force_login(member(role, OrganisationFactory(departments=["59"])))
    assert client.get(LOCKS).status_code == 404
    assert client.post(LOCKS, {"territory": "department:59", "period": "2025"}).status_code == 404
    assert client.post(REOPEN, {"territory": "department:59", "period": "2025", "reason": "x"}).status_code == 404
    assert not PeriodLock.objects.exists()


def test_lock_then_reopen_with_a_reason_then_lock_again(client, coordinator):
    page = client.get(LOCKS).content.decode()
    assert "No period of your territories has been locked yet." in page
    assert '<option value="department:59">Nord (59)</option>' in page

    response = client.post(
        LOCKS, {"territory": "department:59", "period": "2025", "reason": "Year closed"}, follow=True
    )
    assert response.redirect_chain == [(LOCKS, 302)]
    page = response.content.decode()
    assert "The period 2025 is locked for Nord (59)." in page
    assert "<strong>Locked</strong>" in page and "Year closed" in page

    # A reopening needs a reason.
    response = client.post(REOPEN, {"territory": "department:59", "period": "2025", "reason": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert PeriodLock.objects.get().is_locked

    response = client.post(
        REOPEN, {"territory": "department:59", "period": "2025", "reason": "Correction of Q3"}, follow=True
    )
    page = response.content.decode()
    assert "The period 2025 is reopened for Nord (59)." in page and "Correction of Q3" in page
    assert not PeriodLock.objects.get().is_locked

    response = client.post(LOCKS, {"territory": "department:59", "period": "2025"}, follow=True)
    assert response.redirect_chain == [(LOCKS, 302)]
    events = list(PeriodLockEvent.objects.order_by("pk").values_list("action", "reason", "actor"))
    assert events == [
        ("locked", "Year closed", coordinator.pk),
        ("reopened", "Correction of Q3", coordinator.pk),
        ("locked", "", coordinator.pk),
    ]
    assert response.content.decode().count("<td>Reopened</td>") == 1  # in the history


def test_a_locked_period_stops_entries_until_reopened(client, coordinator):
    indicator = IndicatorFactory(code="people_welcomed")
    organisation = OrganisationFactory(departments=["59"])
    pro = member("professional", organisation)
    client.post(LOCKS, {"territory": "region:32", "period": "2025"})
    assert not PeriodLock.objects.exists()  # region 32 has departments the coordinator lacks
    client.post(LOCKS, {"territory": "department:59", "period": "2025-Q1"})
    with pytest.raises(Exception, match="is locked"):
        value_set(
            actor=pro,
            organisation=organisation,
            indicator=indicator,
            territory="commune:59350",
            period="2025-02",
            kind="actual",
            value=1,
        )
    client.post(REOPEN, {"territory": "department:59", "period": "2025-Q1", "reason": "Late figures"})
    value_set(
        actor=pro,
        organisation=organisation,
        indicator=indicator,
        territory="commune:59350",
        period="2025-02",
        kind="actual",
        value=1,
    )
    assert IndicatorValue.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"territory": "department:93", "period": "2025"}, "You don&#x27;t coordinate department:93"),
        ({"territory": "region:32", "period": "2025"}, "You don&#x27;t coordinate region:32"),
        ({"territory": "nowhere", "period": "2025"}, "is not a territory"),
        ({"territory": "department:59", "period": "2025-Q5"}, "is not a period"),
        ({"territory": "department:59", "period": "2025", "reason": "x" * 501}, "at most 500 characters"),
    ],
)
def test_bad_locks_are_refused(client, coordinator, data, message):
    response = client.post(LOCKS, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PeriodLock.objects.exists()


def test_already_locked_or_not_locked(client, coordinator):
    period_lock(actor=coordinator, territory="department:59", period="2025")
    response = client.post(LOCKS, {"territory": "department:59", "period": "2025"})
    assert response.status_code == 400 and "is already locked for department:59" in response.content.decode()
    response = client.post(REOPEN, {"territory": "department:62", "period": "2025", "reason": "Why not"})
    assert response.status_code == 400 and "is not locked for department:62" in response.content.decode()
    assert PeriodLockEvent.objects.count() == 1


def test_a_coordinator_cant_reopen_a_territory_they_dont_coordinate(client, coordinator):
    other = member("coordinator", OrganisationFactory(departments=["93"]))
    period_lock(actor=other, territory="department:93", period="2025")
    response = client.post(REOPEN, {"territory": "department:93", "period": "2025", "reason": "Mine now"})
    assert response.status_code == 400
    assert PeriodLock.objects.get().is_locked
    # Nor see it among their territories.
    assert "Seine-Saint-Denis" not in client.get(LOCKS).content.decode()


def test_the_page_lists_the_locks_of_the_territories_coordinated_in_a_fixed_number_of_queries(client, coordinator):
    def lock(territory, period):
        period_lock(actor=coordinator, territory=territory, period=period, reason=f"Closing {period}")

    lock("department:59", "2024")
    lock("commune:59350", "2025-Q1")
    client.get(LOCKS)
    with CaptureQueriesContext(connection) as two:
        assert client.get(LOCKS).status_code == 200
    lock("department:62", "2024")
    lock("department:59", "2025-03")
    lock("commune:62041", "2025-Q2")
    period_reopen(actor=coordinator, territory="department:59", period="2024", reason="Fix")
    period_lock(
        actor=member("coordinator", OrganisationFactory(departments=["93"])), territory="department:93", period="2024"
    )
    with CaptureQueriesContext(connection) as more:
        response = client.get(LOCKS)
    assert len(more.captured_queries) == len(two.captured_queries)
    page = response.content.decode()
    assert len(re.findall(r'id="lock-\d+"', page)) == 5
    assert "Lille (59350)" in page and "Arras (62041)" in page and "Pas-de-Calais (62)" in page
    assert page.count("Reopen the period") == 4 and page.count("Lock again") == 1
    assert PeriodLockEvent.objects.filter(lock__territory_code="59", lock__period_start=date(2024, 1, 1)).count() == 2
