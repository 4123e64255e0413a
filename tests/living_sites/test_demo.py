"""``manage.py demo_sites``: idempotent, written through the services, with the history, the
closure shares, the legal procedure and the link to the Pathways demo households and visits."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from maillage.accounts.models import User
from maillage.audit.models import AuditEntry
from maillage.living_sites.enums import SOLUTIONS_FOUND, LegalProcedure, SiteStatus
from maillage.living_sites.management.commands.demo_sites import CLOSED_SHARE
from maillage.living_sites.models import (
    ActionFunding,
    ActionIndicator,
    Closure,
    ClosureHousehold,
    Site,
    SiteAction,
    SiteJournalEntry,
    SiteUpdate,
)
from maillage.pathways.models import Appointment, Household

pytestmark = pytest.mark.django_db

MODELS = (
    Site,
    SiteUpdate,
    SiteAction,
    ActionFunding,
    ActionIndicator,
    Closure,
    ClosureHousehold,
    SiteJournalEntry,
    AuditEntry,
)


def counts() -> dict[str, int]:
    return {
        **{model.__name__: model.objects.count() for model in MODELS},
        "linked households": Household.objects.filter(living_site__isnull=False).count(),
        "site visits": Appointment.objects.filter(living_site__isnull=False).count(),
    }


@pytest.fixture
def demo() -> str:
    call_command("demo_data", password="a-demo-password-1", quiet_logins=True, stdout=StringIO())
    call_command("demo_directory", stdout=StringIO())
    call_command("demo_pathways", stdout=StringIO())
    out = StringIO()
    call_command("demo_sites", stdout=out)
    return out.getvalue()


def test_demo_sites_is_idempotent_and_complete(demo: str) -> None:
    assert "Demo sites: 7 sites" in demo
    first = counts()
    out = StringIO()
    call_command("demo_sites", stdout=out)
    assert "already loaded (7 demo sites), 0 Pathways households or visits linked" in out.getvalue()
    assert counts() == first

    sites = Site.objects.all()
    assert {s.department_id for s in sites} == {"59", "62"}
    assert {s.commune.name for s in sites} >= {"Lille", "Villeneuve-d'Ascq", "Roubaix", "Tourcoing", "Calais"}
    assert len({s.kind for s in sites}) == 4
    # A history from 2019, every 3 to 6 months, and the latest update is the site's figures.
    peupliers = Site.objects.get(name="Terrain du Chemin des Peupliers")
    days = sorted(peupliers.updates.values_list("observed_on", flat=True))
    assert days[0].year == 2019 and all(60 <= (b - a).days <= 190 for a, b in zip(days, days[1:], strict=False))
    assert peupliers.latest_update.observed_on == days[-1]
    lights = [u.conditions_light for u in peupliers.updates.order_by("observed_on")]
    assert lights[0] == "red" and lights[-1] == "amber"  # better after the water works
    assert peupliers.latest_update.nationalities.keys() == {"RO", "BG"}
    # A legal procedure; a closed site with a solution for 8 households out of 10; one prepared.
    assert Site.objects.filter(procedure=LegalProcedure.COURT).count() == 1
    closed = Site.objects.get(status=SiteStatus.CLOSED)
    rows = ClosureHousehold.objects.filter(closure__site=closed)
    found = rows.filter(solution__in=SOLUTIONS_FOUND).count()
    assert (rows.count(), found / rows.count()) == (10, CLOSED_SHARE)
    assert len(set(rows.values_list("solution", flat=True))) >= 5
    assert Closure.objects.filter(site__status=SiteStatus.OPEN, planned_on__isnull=False).count() == 1
    # Actions with fundings of several sources per year, indicators planned and achieved.
    assert SiteAction.objects.count() == 5
    assert {"state", "department", "europe", "municipality", "social_security"} <= set(
        ActionFunding.objects.values_list("funder_kind", flat=True)
    )
    assert not ActionIndicator.objects.filter(planned__isnull=True, achieved__isnull=True).exists()
    assert set(SiteJournalEntry.objects.values_list("sensitivity", flat=True)) == {
        "general",
        "social",
        "health",
        "justice",
    }
    # The Pathways demo households live on the Lille sites; the home visits target Peupliers.
    assert set(peupliers.households.values_list("name", flat=True)) == {"Stoica", "Dimitrov", "Lăcătuș", "Gheorghe"}
    assert list(Household.objects.filter(name="Rusu").values_list("living_site__name", flat=True)) == [
        "Squat de la rue des Tanneurs"
    ]
    assert peupliers.visits.count() == 2


def test_the_demo_site_pages_show_the_households_and_visits_by_policy(demo: str, client: Any) -> None:
    peupliers = Site.objects.get(name="Terrain du Chemin des Peupliers")
    client.force_login(User.objects.get(email="conseiller@areas.example"))
    journal = client.get(reverse("living_sites:journal", args=[peupliers.pk])).content.decode()
    assert "Home visit by" in journal and "Stoica" not in journal
    assert "quatorze enfants vaccinés" in journal  # health, AREAS professional
    client.force_login(User.objects.get(email="mediatrice@areas.example"))
    journal = client.get(reverse("living_sites:journal", args=[peupliers.pk])).content.decode()
    assert "quatorze enfants vaccinés" not in journal  # health: not for a volunteer
    client.force_login(User.objects.get(email="partenaire@caf59.example"))
    tanneurs = Site.objects.get(name="Squat de la rue des Tanneurs")
    journal = client.get(reverse("living_sites:journal", args=[tanneurs.pk])).content.decode()
    assert "Ordonnance d'expulsion" not in journal  # justice of the prefecture
