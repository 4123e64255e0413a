"""The entry page: choosing what to enter, entering, changing and deleting values, the policy,
bad input refused with nothing written, and the number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from maillage.indicators import enums
from maillage.indicators.models import IndicatorValue
from maillage.indicators.services.locks import period_lock
from tests.conftest import verified_login
from tests.indicators.factories import IndicatorFactory, IndicatorValueFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

URL = reverse("indicators:entry")


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Association Rives", departments=["59"])


@pytest.fixture
def pro(organisation):
    return member("professional", organisation)


@pytest.fixture
def indicator():
    return IndicatorFactory(code="people_welcomed", name_en="People welcomed", unit=enums.Unit.COUNT)


def _query(organisation, indicator, period="2025", **extra):
    params = {"organisation": organisation.pk, "indicator": indicator.code, "period": period, **extra}
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


def _post(client, organisation, indicator, shown="2025", edit=None, **data):
    payload = {"territory": "department:59", "period": "2025", "kind": "actual", "breakdown": "", "value": "12"}
    payload.update(data)
    extra = {"edit": edit} if edit else {}
    return client.post(URL + _query(organisation, indicator, shown, **extra), payload)


# --- Policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_roles_that_do_not_enter_get_404(client, organisation, role):
    client.force_login(member(role, organisation))
    assert client.get(URL).status_code == 404
    assert client.get(reverse("indicators:entry_upload")).status_code == 404
    assert client.get(reverse("indicators:entry_template", args=["csv"])).status_code == 404


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_offers_the_users_organisations_and_the_entered_indicators_only(client, pro, organisation, indicator):
    IndicatorFactory(code="outcomes_employment", name_en="Exits to employment", source=enums.Source.COMPUTED)
    IndicatorFactory(code="old_one", name_en="Old", is_active=False)
    other = OrganisationFactory(name="Other association", departments=["59"])
    client.force_login(pro)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Association Rives" in page and "Other association" not in page
    assert "people_welcomed" in page
    assert "outcomes_employment" not in page and "old_one" not in page
    # Another organisation, a computed or unknown indicator can't be chosen.
    for query in (
        _query(other, indicator),
        f"?organisation={organisation.pk}&indicator=outcomes_employment",
        f"?organisation={organisation.pk}&indicator=nope",
    ):
        response = client.get(URL + query)
        assert response.status_code == 200 and "Enter a value</h2>" not in response.content.decode()
        assert (
            client.post(
                URL + query, {"territory": "department:59", "period": "2025", "kind": "actual", "value": "1"}
            ).status_code
            == 404
        )
    assert not IndicatorValue.objects.exists()


def test_a_value_of_another_organisation_can_be_neither_changed_nor_deleted(client, pro, organisation, indicator):
    other = OrganisationFactory(departments=["59"])
    value = IndicatorValueFactory(indicator=indicator, organisation=other, value=7)
    client.force_login(pro)
    assert client.get(URL + _query(organisation, indicator, edit=value.pk)).status_code == 404
    assert client.post(reverse("indicators:entry_delete", args=[value.pk])).status_code == 404
    assert IndicatorValue.objects.get().value == 7


# --- Entering, changing, deleting ------------------------------------------------------------


def test_enter_then_see_then_change_then_delete(client, pro, organisation, indicator):
    client.force_login(pro)
    response = client.get(URL + _query(organisation, indicator))
    page = response.content.decode()
    assert "No value entered yet for this period." in page
    assert 'value="department:59"' in page  # the only department is proposed
    response = _post(client, organisation, indicator, value="120", comment="From the welcome desk")
    assert response.status_code == 302
    assert response["Location"] == URL + _query(organisation, indicator)
    value = IndicatorValue.objects.get()
    assert (value.organisation, value.value, value.origin, value.entered_by) == (
        organisation,
        Decimal("120"),
        enums.Origin.ENTERED,
        pro,
    )
    page = client.get(response["Location"]).content.decode()
    assert "The value was saved." in page and "From the welcome desk" in page and "Nord (59)" in page

    # A part of the total, by sex.
    assert _post(client, organisation, indicator, breakdown="sex=female", value="70").status_code == 302
    # Change: the form is pre-filled, the value moved to another kind.
    page = client.get(URL + _query(organisation, indicator, edit=value.pk)).content.decode()
    assert "Change the value" in page and 'value="120"' in page
    assert _post(client, organisation, indicator, edit=value.pk, kind="target", value="150").status_code == 302
    value.refresh_from_db()
    assert (value.kind, value.value) == ("target", Decimal("150"))
    assert IndicatorValue.objects.count() == 2

    response = client.post(reverse("indicators:entry_delete", args=[value.pk]), {"period": "2025"})
    assert response.status_code == 302 and response["Location"] == URL + _query(organisation, indicator)
    assert IndicatorValue.objects.count() == 1


def test_values_of_periods_inside_the_period_shown(client, pro, organisation, indicator):
    IndicatorValueFactory(
        indicator=indicator, organisation=organisation, period_kind="quarter", period_start=date(2025, 4, 1), value=31
    )
    IndicatorValueFactory(
        indicator=indicator, organisation=organisation, period_kind="year", period_start=date(2024, 1, 1), value=41
    )
    client.force_login(pro)
    page = client.get(URL + _query(organisation, indicator, "2025")).content.decode()
    assert "2025-Q2" in page and ">31<" in page and ">41<" not in page
    page = client.get(URL + _query(organisation, indicator, "2025-Q1")).content.decode()
    assert "No value entered yet for this period." in page


# --- Bad input: refused with a clear message, nothing written --------------------------------


@pytest.mark.parametrize(
    ("unit", "data", "message"),
    [
        (enums.Unit.COUNT, {"value": "12.5"}, "give a whole number"),
        (enums.Unit.COUNT, {"value": "abc"}, "Enter a number."),
        (enums.Unit.COUNT, {"value": "-3"}, "greater than or equal to 0"),
        (enums.Unit.PERCENT, {"value": "120"}, "A percentage is between 0 and 100."),
        (enums.Unit.COUNT, {"period": "2025-13"}, "is not a period"),
        (enums.Unit.COUNT, {"territory": "department:62"}, "outside the departments"),
        (enums.Unit.COUNT, {"territory": "somewhere"}, "is not a territory"),
        (enums.Unit.COUNT, {"breakdown": "age_band=0_17"}, "is not one of the available choices"),
    ],
)
def test_bad_input_is_refused(client, pro, organisation, unit, data, message):
    indicator = IndicatorFactory(code="rate_or_count", unit=unit)
    client.force_login(pro)
    response = _post(client, organisation, indicator, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_parts_exceeding_the_total_are_refused(client, pro, organisation, indicator):
    client.force_login(pro)
    assert _post(client, organisation, indicator, value="100").status_code == 302
    assert _post(client, organisation, indicator, breakdown="sex=female", value="60").status_code == 302
    response = _post(client, organisation, indicator, breakdown="sex=male", value="50")
    assert response.status_code == 400
    assert "add up to 110, more than the total 100" in response.content.decode()
    assert IndicatorValue.objects.count() == 2


def test_a_locked_period_is_refused_for_entry_and_delete(client, pro, organisation, indicator):
    value = IndicatorValueFactory(indicator=indicator, organisation=organisation, value=5)
    coordinator = member("coordinator", OrganisationFactory(departments=["59"]))
    period_lock(actor=coordinator, territory="department:59", period="2025")
    client.force_login(pro)
    response = _post(client, organisation, indicator, territory="commune:59350", period="2025-03")
    assert response.status_code == 400 and "is locked for department:59" in response.content.decode()
    response = client.post(reverse("indicators:entry_delete", args=[value.pk]), {"period": "2025"}, follow=True)
    assert "is locked for department:59" in response.content.decode()
    assert list(IndicatorValue.objects.values_list("value", flat=True)) == [Decimal("5")]


# --- Queries -------------------------------------------------------------------------------


def test_number_of_queries_does_not_grow_with_the_values(
    client, pro, organisation, indicator, django_assert_num_queries
):
    client.force_login(pro)
    url = URL + _query(organisation, indicator)

    def add(n, start):
        for i in range(n):
            IndicatorValueFactory(
                indicator=indicator,
                organisation=organisation,
                territory_level="commune" if i % 2 else "department",
                territory_code="59350" if i % 2 else "59",
                period_kind="month",
                period_start=date(2025, start + i, 1),
                entered_by=pro,
            )

    add(2, 1)
    client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    add(5, 3)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="row-actions"') == 7


def test_a_coordinator_enters_for_a_commune_of_their_departments(client, indicator):
    organisation = OrganisationFactory(departments=["59", "62"])
    coordinator = member("coordinator", organisation)
    verified_login(client, coordinator)
    response = _post(client, organisation, indicator, territory="commune:59350", period="2025-Q1", value="3")
    assert response.status_code == 302
    assert IndicatorValue.objects.get().territory_code == "59350"
    page = client.get(URL + _query(organisation, indicator)).content.decode()
    assert "Lille (59350)" in page and 'value="department:62"' in page


# --- A value outside the user's departments ---------------------------------------------------


def _only_59(monkeypatch, organisation):
    """A member whose right to enter for ``organisation`` (59 and 62) covers only 59."""
    from maillage.indicators import permissions
    from maillage.indicators.views import entry as entry_views

    def scope(user):
        return {organisation.pk: {"59"}}

    monkeypatch.setattr(permissions, "entry_organisations", scope)
    monkeypatch.setattr(entry_views, "entry_organisations", scope)


@pytest.mark.parametrize("how", ["organisation_left_62", "right_on_59_only"])
def test_a_value_outside_the_users_departments_can_be_neither_changed_nor_deleted(client, indicator, monkeypatch, how):
    organisation = OrganisationFactory(departments=["59", "62"])
    pro = member("professional", organisation)
    in_62 = IndicatorValueFactory(indicator=indicator, organisation=organisation, territory_code="62", value=7)
    in_59 = IndicatorValueFactory(indicator=indicator, organisation=organisation, territory_code="59", value=3)
    if how == "organisation_left_62":
        # Rights come from the organisation's departments (``entry_organisations``): once it no
        # longer covers 62, its members' right covers only 59, but its values in 62 stay.
        organisation.departments.remove("62")
    else:
        _only_59(monkeypatch, organisation)
    client.force_login(pro)
    assert client.get(URL + _query(organisation, indicator, edit=in_62.pk)).status_code == 404
    # Moving it into 59 is refused too: the check is on the value's current territory.
    response = _post(client, organisation, indicator, edit=in_62.pk, territory="department:59", value="1")
    assert response.status_code == 404
    assert client.post(reverse("indicators:entry_delete", args=[in_62.pk]), {"period": "2025"}).status_code == 404
    in_62.refresh_from_db()
    assert (in_62.territory_code, in_62.value) == ("62", Decimal("7"))
    # The value in 59 is still changed.
    assert client.get(URL + _query(organisation, indicator, edit=in_59.pk)).status_code == 200
    assert _post(client, organisation, indicator, edit=in_59.pk, value="4").status_code == 302
    in_59.refresh_from_db()
    assert in_59.value == Decimal("4")
