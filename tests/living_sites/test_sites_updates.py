"""Recording a dated update of a site (population and living conditions) and its history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.audit.services import SENSITIVE_MARK
from maillage.living_sites import enums
from maillage.living_sites.forms.sites import parse_counts
from maillage.living_sites.models import Site, SiteUpdate
from maillage.living_sites.services.sites import site_update_record
from tests.living_sites.factories import SiteFactory, SiteUpdateFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def pro(org: Any) -> Any:
    return member("professional", org)


@pytest.fixture
def site() -> Site:
    return SiteFactory()


def new_url(site: Site) -> str:
    return reverse("living_sites:update_create", args=[site.pk])


def list_url(site: Site) -> str:
    return reverse("living_sites:update_list", args=[site.pk])


def payload(org: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "observed_on": "2026-11-15",
        "source": enums.FigureSource.TEAM_COUNT,
        "people": "42",
        "households": "11",
        "minors_0_3": "3",
        "minors_3_6": "4",
        "minors_6_12": "6",
        "minors_12_16": "4",
        "minors_16_18": "1",
        "minors": "",
        "children_in_school": "9",
        "nationalities": "ro: 30, BG 12",
        "languages": "ro: 30; rom: 35",
        "water_access": enums.WaterAccess.NEARBY,
        "water_distance_m": "350",
        "water_continuity": "",
        "toilets": enums.Provision.INSUFFICIENT,
        "showers": "",
        "electricity": enums.Regularity.IRREGULAR,
        "waste_collection": enums.Regularity.NONE,
        "pests": enums.Pests.SOME,
        "fire_extinguishers": "2",
        "fire_distances_ok": "no",
        "notes": "Water point out of order.",
        "organisation": str(org.pk),
    }
    data.update(overrides)
    return data


# --- The form on a phone ---------------------------------------------------------------------


def test_the_form_is_made_for_a_phone(client: Any, pro: Any, site: Site) -> None:
    client.force_login(pro)
    page = client.get(new_url(site)).content.decode()
    for legend in ("Population", "Minors by age", "Schooling", "Nationalities and languages", "Living conditions"):
        assert f"<legend>{legend}</legend>" in page
    assert page.count('inputmode="numeric"') >= 11
    assert 'type="radio"' in page and "Not assessed" in page
    assert 'name="fire_distances_ok"' in page and "Unknown" in page
    assert "css/living_sites.css" in page
    assert f'value="{timezone.localdate().isoformat()}"' in page


def test_record_an_update(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    response = client.post(new_url(site), payload(org))
    assert response.status_code == 302 and response.url == reverse("living_sites:site_detail", args=[site.pk])
    update = SiteUpdate.objects.get(site=site)
    assert update.minors == 18  # computed from the bands
    assert update.nationalities == {"RO": 30, "BG": 12}
    assert update.languages == {"ro": 30, "rom": 35}
    assert update.fire_distances_ok is False and update.showers == ""
    assert update.organisation == org and update.recorded_by == pro
    assert update.conditions_light == enums.Light.RED  # water 350 m away
    site.refresh_from_db()
    assert site.latest_update == update
    assert AuditEntry.objects.filter(object_id=str(update.pk)).exists()
    page = client.get(response.url).content.decode()
    assert "The update was recorded." in page
    assert '<span class="figure-value">42</span>' in page


def test_a_volunteer_records_for_their_organisation(client: Any, org: Any, site: Site) -> None:
    volunteer = member("volunteer", org)
    client.force_login(volunteer)
    assert client.post(new_url(site), payload(org)).status_code == 302
    assert SiteUpdate.objects.get().organisation == org


def test_several_organisations_choose_one(client: Any, org: Any, site: Site) -> None:
    other = OrganisationFactory(name="Médiation Nord")
    user = member("professional", org)
    member("volunteer", other, user=user)
    client.force_login(user)
    page = client.get(new_url(site)).content.decode()
    assert "On behalf of" in page and "Médiation Nord" in page
    partner_org = OrganisationFactory()
    member("partner", partner_org, user=user)
    response = client.post(new_url(site), payload(org, organisation=str(partner_org.pk)))
    assert response.status_code == 200 and not SiteUpdate.objects.exists()  # not a field role
    assert client.post(new_url(site), payload(org, organisation=str(other.pk))).status_code == 302
    assert SiteUpdate.objects.get().organisation == other


def test_a_partner_may_not_record(client: Any, org: Any, site: Site) -> None:
    client.force_login(member("partner", org))
    assert client.get(new_url(site)).status_code == 404
    assert client.post(new_url(site), payload(org)).status_code == 404
    assert not SiteUpdate.objects.exists()


def test_another_department_may_not_record(client: Any, org: Any) -> None:
    site = SiteFactory(commune_code="62193")
    client.force_login(member("professional", org))
    assert client.post(new_url(site), payload(org)).status_code == 404
    assert not SiteUpdate.objects.exists()


def test_a_closed_site_refuses_new_updates(client: Any, pro: Any, org: Any) -> None:
    site = SiteFactory(status=enums.SiteStatus.CLOSED, closed_on=date(2026, 11, 20))
    client.force_login(pro)
    page = client.get(new_url(site)).content.decode()
    assert "This site is closed" in page and 'name="people"' not in page
    response = client.post(new_url(site), payload(org), follow=True)
    assert "no new update can be recorded" in response.content.decode()
    assert not SiteUpdate.objects.exists()


# --- Bad input -------------------------------------------------------------------------------


def errors_of(response: Any) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_figures_not_adding_up_are_shown_on_the_right_fields(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    response = client.post(
        new_url(site), payload(org, people="10", households="12", minors="20", children_in_school="25")
    )
    errors = errors_of(response)
    assert "more households (12) than people (10)" in errors["households"][0]
    assert "more minors (20) than people (10)" in errors["minors"][0]
    assert "more children in school (25) than minors (20)" in errors["children_in_school"][0]
    page = response.content.decode()
    assert 'id="id_households_error"' in page and 'href="#id_households"' in page
    assert not SiteUpdate.objects.exists()


def test_bands_and_schooling_larger_than_people_without_minors(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    bands = {"minors_0_3": "10", "minors_3_6": "", "minors_6_12": "", "minors_12_16": "", "minors_16_18": ""}
    errors = errors_of(client.post(new_url(site), payload(org, people="3", children_in_school="5", **bands)))
    assert "The age bands add up to 10, more than the 3 people." in errors["minors"]
    assert "There cannot be more children in school (5) than people (3)." in errors["children_in_school"]
    assert not SiteUpdate.objects.exists()


def test_bands_larger_than_minors(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    errors = errors_of(client.post(new_url(site), payload(org, minors="10")))
    assert "The age bands add up to 18, more than the 10 minors." in errors["minors"]
    assert not SiteUpdate.objects.exists()


def test_nationalities_larger_than_people(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    errors = errors_of(client.post(new_url(site), payload(org, nationalities="RO: 40, BG: 12")))
    assert "add up to more than the number of people (42)" in errors["nationalities"][0]


def test_counts_that_cannot_be_read(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    errors = errors_of(
        client.post(new_url(site), payload(org, nationalities="Romania 40, RO: 3, RO: 4", languages="r: 2"))
    )
    assert any("“Romania 40” is not understood" in e for e in errors["nationalities"])
    assert any("RO is given twice" in e for e in errors["nationalities"])
    assert any("“r: 2” is not understood" in e for e in errors["languages"])
    assert not SiteUpdate.objects.exists()


def test_no_figure_at_all(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    empty = {
        name: "" for name in ("people", "households", "minors", "children_in_school", "nationalities", "languages")
    }
    empty.update({f"minors_{band}": "" for band in ("0_3", "3_6", "6_12", "12_16", "16_18")})
    errors = errors_of(client.post(new_url(site), payload(org, **empty)))
    assert "Give at least the number of people" in errors["people"][0]


def test_dates_out_of_order(client: Any, pro: Any, org: Any) -> None:
    site = SiteFactory(opened_on=date(2024, 1, 1), known_since=date(2024, 2, 1))
    client.force_login(pro)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert errors_of(client.post(new_url(site), payload(org, observed_on=tomorrow)))["observed_on"] == [
        "This date is in the future."
    ]
    assert errors_of(client.post(new_url(site), payload(org, observed_on="2023-06-01")))["observed_on"] == [
        "This date is before the site was settled."
    ]
    assert not SiteUpdate.objects.exists()


def test_negative_numbers_are_refused(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    errors = errors_of(client.post(new_url(site), payload(org, people="-3")))
    assert "people" in errors
    assert not SiteUpdate.objects.exists()


def test_parse_counts() -> None:
    assert parse_counts("RO: 40, bg=12\nMD 3", letters=(2, 2), upper=True) == {"RO": 40, "BG": 12, "MD": 3}
    assert parse_counts("", letters=(2, 2), upper=True) == {}
    assert parse_counts("rom: 5; ro: 4;", letters=(2, 3), upper=False) == {"rom": 5, "ro": 4}
    with pytest.raises(ValidationError):
        parse_counts("ROU: 4", letters=(2, 2), upper=True)
    with pytest.raises(ValidationError):
        parse_counts("RO: -4", letters=(2, 2), upper=True)


# --- History ---------------------------------------------------------------------------------


def test_history_is_kept_and_the_latest_date_wins(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    assert client.post(new_url(site), payload(org, observed_on="2026-11-01", people="50")).status_code == 302
    # Recorded later, observed earlier: kept in the history, not the latest figures.
    assert client.post(new_url(site), payload(org, observed_on="2026-09-01", people="45")).status_code == 302
    assert SiteUpdate.objects.filter(site=site).count() == 2
    site.refresh_from_db()
    assert site.latest_update.people == 50
    history = client.get(list_url(site)).content.decode()
    assert "2 updates" in history
    rows = history[history.index("<tbody") :]  # (the page's head may hold these digits too)
    assert rows.index(">50<") < rows.index(">45<")  # latest first
    page = client.get(reverse("living_sites:site_detail", args=[site.pk])).content.decode()
    assert '<span class="figure-value">50</span>' in page


def test_update_list_is_paginated(client: Any, pro: Any, site: Site) -> None:
    for day in range(51):
        SiteUpdateFactory(site=site, observed_on=date(2026, 1, 1) + timedelta(days=day))
    client.force_login(pro)
    page = client.get(list_url(site)).content.decode()
    assert "Page 1 of 2" in page and "51 updates" in page


def test_update_list_shows_everything(client: Any, org: Any, site: Site) -> None:
    SiteUpdateFactory(site=site, organisation=org, conditions_light=enums.Light.AMBER, notes="")
    client.force_login(member("partner", org))  # a partner sees the history
    page = client.get(list_url(site)).content.decode()
    assert "RO: 50, BG: 10" in page and "rom: 55, ro: 50" in page
    assert "To improve" in page and org.name in page
    assert new_url(site) not in page


# Session and user, the site scope (2), the site, count, page, session save (3).
UPDATE_LIST_QUERIES = 10


def test_update_list_query_count(client: Any, pro: Any, site: Site, django_assert_num_queries: Any) -> None:
    for day in range(2):
        SiteUpdateFactory(site=site, observed_on=date(2026, 1, 1) + timedelta(days=day))
    client.force_login(pro)
    client.get(list_url(site))
    with django_assert_num_queries(UPDATE_LIST_QUERIES):
        client.get(list_url(site))
    for day in range(2, 12):
        SiteUpdateFactory(
            site=site, observed_on=date(2026, 1, 1) + timedelta(days=day), organisation=OrganisationFactory()
        )
    with django_assert_num_queries(UPDATE_LIST_QUERIES):
        response = client.get(list_url(site))
    assert "12 updates" in response.content.decode()


# --- The service directly --------------------------------------------------------------------


def test_service_keeps_the_latest_by_date_then_by_recording(pro: Any, site: Site) -> None:
    first = site_update_record(
        actor=pro, site=site, data={"observed_on": date(2026, 5, 1), "source": "estimate", "people": 30}
    )
    same_day = site_update_record(
        actor=pro, site=site, data={"observed_on": date(2026, 5, 1), "source": "estimate", "people": 31}
    )
    site_update_record(actor=pro, site=site, data={"observed_on": date(2026, 4, 1), "source": "estimate", "people": 29})
    site.refresh_from_db()
    assert site.latest_update == same_day != first
    assert first.conditions_light == enums.Light.UNKNOWN


def test_service_refuses_unknown_fields_and_closed_sites(pro: Any) -> None:
    site = SiteFactory(status=enums.SiteStatus.CLOSED, closed_on=date(2026, 3, 1))
    for observed_on in (date(2026, 2, 1), date(2026, 4, 1)):  # before or after the closure
        with pytest.raises(ValidationError) as error:
            site_update_record(
                actor=pro, site=site, data={"observed_on": observed_on, "source": "estimate", "people": 3}
            )
        assert "This site is closed: no new update can be recorded." in error.value.messages
    with pytest.raises(ValidationError) as error:
        site_update_record(actor=pro, site=site, data={"source": "estimate", "people": 3, "ethnicity": "x"})
    assert "ethnicity" in error.value.message_dict
    assert not SiteUpdate.objects.exists()


def test_service_reads_the_status_and_the_dates_on_the_stored_site(pro: Any) -> None:
    """The caller's copy may be stale: the checks are made on the locked row."""
    site = SiteFactory(opened_on=date(2026, 1, 1), known_since=None)
    stale = Site.objects.get(pk=site.pk)
    Site.objects.filter(pk=site.pk).update(opened_on=date(2026, 3, 1))
    data = {"observed_on": date(2026, 2, 1), "source": "estimate", "people": 3}
    with pytest.raises(ValidationError) as error:
        site_update_record(actor=pro, site=stale, data=data)
    assert "before the site was settled" in error.value.message_dict["observed_on"][0]
    Site.objects.filter(pk=site.pk).update(
        opened_on=date(2026, 1, 1), status=enums.SiteStatus.CLOSED, closed_on=date(2026, 6, 1)
    )
    with pytest.raises(ValidationError) as error:
        site_update_record(actor=pro, site=stale, data=data)
    assert "This site is closed" in str(error.value)
    assert not SiteUpdate.objects.exists()


def test_service_locks_the_site_before_reading_it(pro: Any, site: Site) -> None:
    with CaptureQueriesContext(connection) as queries:
        site_update_record(
            actor=pro, site=site, data={"observed_on": date(2026, 5, 1), "source": "estimate", "people": 3}
        )
    first = next(q["sql"] for q in queries.captured_queries if "living_sites_site" in q["sql"])
    assert first.startswith("SELECT") and "FOR UPDATE" in first and '"living_sites_site"' in first


def test_the_audit_journal_masks_the_notes(client: Any, pro: Any, org: Any, site: Site) -> None:
    client.force_login(pro)
    assert client.post(new_url(site), payload(org, notes="Famille Stoica partie")).status_code == 302
    update = SiteUpdate.objects.get()
    entry = AuditEntry.objects.get(object_type="living_sites.siteupdate", object_id=str(update.pk))
    assert entry.changes["notes"] == SENSITIVE_MARK
    assert entry.changes["people"] == [None, 42]
    assert "Stoica" not in str(entry.changes)
