"""Appointments and visits: a home visit with several households writes each journal when it
took place, bad input is refused (end before start, households or staff of another
organisation), the calendar week (content, fixed queries), the ICS export (RFC 5545 lines,
escaping, no names) and the weekly rhythm (the right households, fixed queries)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.organisations.enums import Role
from maillage.pathways import enums, ics
from maillage.pathways.models import Appointment, Household, JournalEntry
from maillage.pathways.services import appointments as services
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import AppointmentFactory, HouseholdFactory, JournalEntryFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org)


def _at(days: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour)))


def _visit(org: Any, pro: Any, households: list, **kwargs: Any) -> Appointment:
    params: dict[str, Any] = {
        "actor": pro,
        "organisation": org,
        "kind": enums.AppointmentKind.HOME_VISIT,
        "starts_at": _at(-1),
        "ends_at": _at(-1, 12),
        "households": households,
        "staff": [pro],
        "living_site_ref": "Terrain des Poiriers",
    }
    return services.appointment_create(**{**params, **kwargs})


# --- Services ----------------------------------------------------------------------------


def test_home_visit_with_three_households_writes_each_journal_when_done(org: Any, pro: Any) -> None:
    households = HouseholdFactory.create_batch(3, organisation=org)
    old = timezone.now() - timedelta(days=100)
    Household.objects.filter(pk__in=[h.pk for h in households]).update(last_activity_at=old)
    visit = _visit(org, pro, households)
    assert set(visit.households.values_list("pk", flat=True)) == {h.pk for h in households}
    services.appointment_update_status(actor=pro, appointment=visit, status="done", note="Tout le monde présent")
    entries = JournalEntry.objects.filter(appointment=visit)
    assert entries.count() == 3
    assert {e.household_id for e in entries} == {h.pk for h in households}
    assert all(e.sensitivity == "general" and e.appointment_id == visit.pk and e.text for e in entries)
    assert all(e.occurred_on == timezone.localdate() - timedelta(days=1) for e in entries)
    assert all(h.last_activity_at > old for h in Household.objects.filter(pk__in=[h.pk for h in households]))
    visit.refresh_from_db()
    assert visit.status == "done"
    with pytest.raises(ValidationError):  # closed already: no second set of journal entries
        services.appointment_update_status(actor=pro, appointment=visit, status="done")
    assert JournalEntry.objects.filter(appointment=visit).count() == 3


def test_missed_or_cancelled_writes_no_journal(org: Any, pro: Any) -> None:
    household = HouseholdFactory(organisation=org)
    visit = _visit(org, pro, [household])
    services.appointment_update_status(actor=pro, appointment=visit, status="missed")
    assert not JournalEntry.objects.filter(appointment=visit).exists()
    future = _visit(org, pro, [household], starts_at=_at(2), ends_at=_at(2, 11))
    with pytest.raises(ValidationError):
        services.appointment_update_status(actor=pro, appointment=future, status="done")


def test_bad_input_is_refused(org: Any, pro: Any) -> None:
    household = HouseholdFactory(organisation=org)
    with pytest.raises(ValidationError) as error:
        _visit(org, pro, [household], ends_at=_at(-1, 9))
    assert "ends_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _visit(org, pro, [household, HouseholdFactory()])  # another organisation's household
    assert "households" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _visit(org, pro, [household], staff=[member(Role.PROFESSIONAL)])
    assert "staff" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _visit(org, pro, [household, HouseholdFactory(organisation=org)], kind="office")
    assert "households" in error.value.message_dict
    assert not Appointment.objects.exists()


# --- Household page ----------------------------------------------------------------------


def test_household_page_creates_a_group_visit_and_closes_it(client: Any, org: Any, pro: Any) -> None:
    household = HouseholdFactory(organisation=org, referent=pro, living_site_ref="Terrain des Poiriers")
    neighbours = HouseholdFactory.create_batch(2, organisation=org, living_site_ref="Terrain des Poiriers")
    stranger = HouseholdFactory(living_site_ref="Terrain des Poiriers")  # another organisation
    client.force_login(pro)
    url = reverse("pathways:household_appointments", args=[household.pk])
    response = client.get(url)
    assert response.status_code == 200
    choices = {h.pk for h in response.context["form"].fields["other_households"].queryset}
    assert choices == {h.pk for h in neighbours}
    data = {
        "kind": "home_visit",
        "starts_at": _at(-1).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": _at(-1, 8).strftime("%Y-%m-%dT%H:%M"),
        "staff": [pro.pk],
        "other_households": [h.pk for h in neighbours],
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "The end must be after the start." in response.content.decode()
    response = client.post(url, {**data, "other_households": [stranger.pk]})
    assert response.status_code == 200 and not Appointment.objects.exists()
    response = client.post(url, {**data, "ends_at": _at(-1, 12).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    visit = Appointment.objects.get()
    assert visit.households.count() == 3
    status_url = reverse("pathways:appointment_status", args=[household.pk, visit.pk])
    assert status_url in client.get(url).content.decode()
    response = client.post(status_url, {"status": "done", "note": ""})
    assert response.status_code == 302
    assert JournalEntry.objects.filter(appointment=visit).count() == 3


def test_household_page_policy(client: Any, org: Any) -> None:
    household = HouseholdFactory(organisation=org)
    url = reverse("pathways:household_appointments", args=[household.pk])
    client.force_login(member(Role.VOLUNTEER, org))
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"] is None
    assert client.post(url, {"kind": "office"}).status_code == 404
    client.force_login(member(Role.PROFESSIONAL))
    assert client.get(url).status_code == 404


# --- Calendar ----------------------------------------------------------------------------


def test_calendar_week_content_and_query_count(client: Any, django_assert_num_queries: Any, org: Any, pro: Any) -> None:
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    colleague = member(Role.PROFESSIONAL, org)

    def add(n: int, staff: Any, week_offset: int = 0) -> None:
        for index in range(n):
            day = monday + timedelta(days=7 * week_offset + index % 7)
            start = timezone.make_aware(datetime.combine(day, time(9 + index % 8)))
            appointment = AppointmentFactory(organisation=org, starts_at=start, ends_at=start + timedelta(hours=1))
            appointment.staff.add(staff)
            appointment.households.add(HouseholdFactory(organisation=org))

    add(1, pro)
    add(1, colleague)
    add(1, pro, week_offset=1)
    client.force_login(pro)
    url = reverse("pathways:calendar")
    client.get(url)
    # session, user, memberships, teams, appointments, their households and staff, the
    # colleagues (form), and the session saved (savepoint, update, release)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.context["count"] == 1
    assert sum(len(events) for _day, events in response.context["days"]) == 1
    page = response.content.decode()
    assert "week=" + (monday - timedelta(days=7)).isoformat() in page
    assert "week=" + (monday + timedelta(days=7)).isoformat() in page
    add(12, pro)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.context["count"] == 13
    # The team's week, the next week, a colleague's week.
    assert client.get(url, {"team": org.pk}).context["count"] == 14
    nxt = client.get(url, {"week": (monday + timedelta(days=7)).isoformat()})
    assert nxt.context["count"] == 1
    assert client.get(url, {"user": colleague.pk}).context["count"] == 1
    # Another organisation's team is not a choice.
    assert client.get(url, {"team": OrganisationFactory().pk}).context["team"] is None


# --- ICS ---------------------------------------------------------------------------------


def test_ics_helpers_fold_and_escape() -> None:
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_ics_export(client: Any, org: Any, pro: Any) -> None:
    household = HouseholdFactory(organisation=org, name="Famille Stoica")
    PersonFactory(household=household, first_name="Florin", last_name="Stoica")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    start = timezone.make_aware(datetime.combine(monday + timedelta(days=2), time(14)))
    appointment = services.appointment_create(
        actor=pro,
        organisation=org,
        kind="workshop",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        households=[household],
        staff=[pro],
        title="Atelier CV avec Florin Stoica",
        location="Centre social, salle 2; 12 rue de Lille, Roubaix – " + "très long " * 10,
    )
    url = reverse("pathways:calendar_ics")
    assert client.get(url).status_code == 302  # logged in only
    client.force_login(pro)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    raw = response.content
    text = raw.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    props = dict(line.split(":", 1) for line in unfolded.split("\r\n") if ":" in line and not line.startswith("URL"))
    assert props["UID"].startswith(f"appointment-{appointment.pk}@")
    assert props["SUMMARY"] == f"Group workshop – household #{household.pk}"
    assert props["DTSTART"] == start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert props["DTSTART"].endswith("Z") and props["DTEND"].endswith("Z") and props["DTSTAMP"].endswith("Z")
    assert "salle 2\\; 12 rue de Lille\\, Roubaix" in props["LOCATION"]
    for name in ("Stoica", "Florin"):
        assert name not in text


# --- Weekly rhythm -----------------------------------------------------------------------


def test_rhythm_lists_households_not_seen(client: Any, django_assert_num_queries: Any, org: Any, pro: Any) -> None:
    today = timezone.localdate()
    never = HouseholdFactory(organisation=org, referent=pro)
    seen_long_ago = HouseholdFactory(organisation=org)
    JournalEntryFactory(household=seen_long_ago, occurred_on=today - timedelta(days=20))
    visited_long_ago = HouseholdFactory(organisation=org)
    _visit(org, pro, [visited_long_ago], starts_at=_at(-10), ends_at=_at(-10, 11))
    Appointment.objects.filter(households=visited_long_ago).update(status="done")
    seen_recently = HouseholdFactory(organisation=org)
    JournalEntryFactory(household=seen_recently, occurred_on=today - timedelta(days=20))
    JournalEntryFactory(household=seen_recently, occurred_on=today - timedelta(days=2))
    visited_recently = HouseholdFactory(organisation=org)
    _visit(org, pro, [visited_recently], starts_at=_at(-1), ends_at=_at(-1, 11))
    Appointment.objects.filter(households=visited_recently).update(status="done")
    planned_only = HouseholdFactory(organisation=org)  # a planned visit is not a contact
    _visit(org, pro, [planned_only], starts_at=_at(-3), ends_at=_at(-3, 11))
    HouseholdFactory(organisation=org, status="closed")
    HouseholdFactory()  # another organisation

    client.force_login(pro)
    url = reverse("pathways:rhythm")
    client.get(url)
    # session, user, memberships, count, page (with referent), session saved (3)
    with django_assert_num_queries(8):
        response = client.get(url, {"days": "7"})
    rows = response.context["rows"]
    assert {h.pk for h in rows[:2]} == {never.pk, planned_only.pk}  # never seen first
    assert [h.pk for h in rows[2:]] == [seen_long_ago.pk, visited_long_ago.pk]
    assert rows[2].last_contact == today - timedelta(days=20) and rows[2].days_since == 20
    assert rows[3].last_contact == today - timedelta(days=10)
    assert client.get(url, {"days": "15"}).context["page"].paginator.count == 3
    assert [h.pk for h in client.get(url, {"days": "7", "mine": "on"}).context["rows"]] == [never.pk]
    for _index in range(10):
        HouseholdFactory(organisation=org, referent=pro)
    with django_assert_num_queries(8):
        response = client.get(url, {"days": "7"})
    assert len(response.context["rows"]) == 14


# --- Households moved to another organisation --------------------------------------------


def test_appointments_are_limited_to_the_household_s_current_organisation(client: Any, org: Any, pro: Any) -> None:
    household = HouseholdFactory(organisation=org, name="Famille Ionescu-Transférée")
    neighbour = HouseholdFactory(organisation=org, name="Famille Voisine")
    old_visit = _visit(org, pro, [household, neighbour], starts_at=_at(1), ends_at=_at(1, 12))
    new_org = OrganisationFactory()
    Household.objects.filter(pk=household.pk).update(organisation=new_org)
    new_pro = member(Role.PROFESSIONAL, new_org)
    client.force_login(new_pro)
    # The new organisation does not see the former organisation's agenda, nor can it close it.
    response = client.get(reverse("pathways:household_appointments", args=[household.pk]))
    assert response.status_code == 200
    assert old_visit not in response.context["upcoming"] + response.context["past"]
    assert "Famille Voisine" not in response.content.decode()
    status_url = reverse("pathways:appointment_status", args=[household.pk, old_visit.pk])
    assert client.post(status_url, {"status": "cancelled"}).status_code == 404
    old_visit.refresh_from_db()
    assert old_visit.status == "planned"
    # The former organisation keeps its appointment, without the name of the household gone.
    client.force_login(pro)
    monday = timezone.localdate() + timedelta(days=1)
    for url in (
        reverse("pathways:calendar") + f"?week={monday.isoformat()}",
        reverse("pathways:next_steps"),
        reverse("pathways:household_appointments", args=[neighbour.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Famille Voisine" in page, url
        assert "Ionescu" not in page, url
        assert f"Household #{household.pk}" in page, url
