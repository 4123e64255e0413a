"""Load demonstration living sites in the Nord and the Pas-de-Calais (idempotent); run it after
demo_data, demo_directory and demo_pathways.

Modelled on the seeds: AREAS (La Sauvegarde du Nord) has run a vocational integration
programme in the shantytowns of the Lille area since 17 March 2014, with two job counsellors
visiting the sites; schooling mediation, health mediation, and water and waste works improved
the living conditions. Seven fictional sites (shantytowns, squats, a temporary insertion site,
caravans) with their history of dated observations from 2019 to today, owners, a legal
procedure, actions with their fundings per year and indicators planned/achieved, one closed
site whose ten households each got a solution or none (8 out of 10 found one) and one closure
being prepared, and journal entries of several classes.

The Pathways demo households living on the Lille sites (``demo_pathways``) are linked to them,
and its home visits to the Peupliers site target the site (so they appear on its journal).

Everything is written through the services (``site_create``, ``site_update_record``,
``action_create``, ``funding_add``, ``indicator_set``, ``closure_prepare``,
``closure_household_add``, ``site_close``, ``site_journal_entry_create``,
``household_update``), in one transaction, so the audit journal is right. The visits get their
site by a direct update with its audit entry: Pathways has no service to edit an appointment.

Street and place names are fictional. Running the command again creates nothing: it stops if
the demo sites are already there (it only links the Pathways households still unlinked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from maillage.accounts.models import User
from maillage.audit.enums import AuditAction
from maillage.audit.services import SENSITIVE_MARK, audit_record
from maillage.organisations.models import Organisation
from maillage.pathways.enums import AppointmentKind, Sensitivity
from maillage.pathways.models import Appointment, Household
from maillage.pathways.services.households import household_update
from maillage.territory.models import Commune

from ...enums import (
    ActionDomain,
    ClosureReason,
    FigureSource,
    FunderKind,
    LegalProcedure,
    OwnerKind,
    Pests,
    Provision,
    Regularity,
    SiteKind,
    Solution,
    WaterAccess,
    WaterContinuity,
)
from ...models import Site
from ...services.actions import action_create, funding_add, indicator_set
from ...services.closures import closure_household_add, closure_prepare, site_close
from ...services.journal import site_journal_entry_create
from ...services.sites import site_create, site_update_record

# The living places written by demo_pathways (free references), and the sites they become.
PEUPLIERS_REF = "Terrain du Chemin des Peupliers, Lille-Hellemmes"
TANNEURS_REF = "Squat de la rue des Tanneurs, Lille"
ORGANISATIONS = ("AREAS", "CCAS Lille", "France Travail", "CAF 59", "DDETS 62", "Préfecture HdF")
USERS = {
    "counsellor": "conseiller@areas.example",
    "mediator": "mediatrice@areas.example",
    "manager": "direction@areas.example",
    "coordinator": "coordination@prefecture-hdf.example",
}
# Months between two observations, in turn: every 3 to 6 months.
STEPS = (4, 3, 5, 4, 6, 3)
# Share of the minors in each age band (0-3, 3-6, 6-12, 12-16, 16-18).
BAND_WEIGHTS = (0.16, 0.16, 0.34, 0.2, 0.14)
BANDS = ("minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18")

# Living conditions, from the worst to the best.
NO_SERVICES = {
    "water_access": WaterAccess.NONE,
    "toilets": Provision.NONE,
    "showers": Provision.NONE,
    "electricity": Regularity.IRREGULAR,
    "waste_collection": Regularity.NONE,
    "pests": Pests.INFESTATION,
    "fire_extinguishers": 0,
    "fire_distances_ok": False,
}
WATER_FAR = {**NO_SERVICES, "water_access": WaterAccess.NEARBY, "water_distance_m": 350}
WATER_WORKS_DONE = {
    "water_access": WaterAccess.ON_SITE,
    "water_continuity": WaterContinuity.CONTINUOUS,
    "toilets": Provision.INSUFFICIENT,
    "showers": Provision.NONE,
    "electricity": Regularity.IRREGULAR,
    "waste_collection": Regularity.REGULAR,
    "pests": Pests.SOME,
    "fire_extinguishers": 4,
    "fire_distances_ok": True,
}
SANITATION_DONE = {**WATER_WORKS_DONE, "toilets": Provision.SUFFICIENT, "showers": Provision.INSUFFICIENT}
SQUAT = {
    "water_access": WaterAccess.ON_SITE,
    "water_continuity": WaterContinuity.INTERMITTENT,
    "toilets": Provision.INSUFFICIENT,
    "showers": Provision.NONE,
    "electricity": Regularity.IRREGULAR,
    "waste_collection": Regularity.IRREGULAR,
    "pests": Pests.INFESTATION,
    "fire_extinguishers": 2,
    "fire_distances_ok": False,
}
INSERTION_SITE = {
    "water_access": WaterAccess.ON_SITE,
    "water_continuity": WaterContinuity.CONTINUOUS,
    "toilets": Provision.SUFFICIENT,
    "showers": Provision.SUFFICIENT,
    "electricity": Regularity.REGULAR,
    "waste_collection": Regularity.REGULAR,
    "pests": Pests.NONE,
    "fire_extinguishers": 6,
    "fire_distances_ok": True,
}
CARAVANS = {
    "water_access": WaterAccess.NEARBY,
    "water_distance_m": 80,
    "toilets": Provision.NONE,
    "showers": Provision.NONE,
    "electricity": Regularity.NONE,
    "waste_collection": Regularity.IRREGULAR,
    "pests": Pests.SOME,
    "fire_extinguishers": 1,
    "fire_distances_ok": True,
}
CARAVANS_TOILETS = {**CARAVANS, "toilets": Provision.INSUFFICIENT, "electricity": Regularity.IRREGULAR}
CALAIS_EARLY = {**WATER_FAR, "water_distance_m": 150, "waste_collection": Regularity.IRREGULAR}


@dataclass
class Point:
    """A key point of a site's population; observations between two are interpolated."""

    on: date
    people: int
    households: int
    minors: int
    school: float  # share of the children aged 3 to 16 in school
    ro: float  # share of Romanian nationals (the others: Bulgarian)


@dataclass
class SiteSpec:
    key: str
    data: dict[str, Any]
    commune: str
    organisation: str
    points: list[Point]
    conditions: list[tuple[date, dict[str, Any]]]
    notes: dict[date, str] = field(default_factory=dict)
    until: date | None = None  # last observation (a closed site)


SITES: list[SiteSpec] = [
    SiteSpec(
        key="peupliers",
        data={
            "name": "Terrain du Chemin des Peupliers",
            "kind": SiteKind.SHANTYTOWN,
            "address": "Chemin des Peupliers (friche ferroviaire), Hellemmes",
            "latitude": 50.6268,
            "longitude": 3.1098,
            "owner_kind": OwnerKind.PUBLIC,
            "owner_name": "Métropole européenne de Lille",
            "opened_on": date(2018, 9, 1),
            "known_since": date(2018, 10, 15),
        },
        commune="59350",
        organisation="AREAS",
        points=[
            Point(date(2019, 1, 15), 85, 22, 38, 0.35, 0.85),
            Point(date(2021, 6, 15), 70, 19, 31, 0.55, 0.85),
            Point(date(2023, 6, 15), 62, 17, 27, 0.75, 0.8),
            Point(date(2026, 11, 15), 58, 16, 24, 0.85, 0.8),
        ],
        conditions=[
            (date(2018, 1, 1), NO_SERVICES),
            (date(2021, 10, 1), WATER_WORKS_DONE),
            (date(2024, 5, 1), SANITATION_DONE),
        ],
        notes={
            date(2021, 10, 1): "Deux points d'eau et des bacs à déchets installés ; ramassage chaque semaine.",
            date(2024, 5, 1): "Sanitaires et douches mobiles ajoutés par la ville.",
        },
    ),
    SiteSpec(
        key="tanneurs",
        data={
            "name": "Squat de la rue des Tanneurs",
            "kind": SiteKind.SQUAT,
            "address": "Ancien entrepôt, rue des Tanneurs, Moulins",
            "latitude": 50.6192,
            "longitude": 3.0712,
            "owner_kind": OwnerKind.PRIVATE,
            "owner_name": "SCI Les Entrepôts du Sud (fictive)",
            "opened_on": date(2021, 3, 1),
            "known_since": date(2021, 3, 20),
        },
        commune="59350",
        organisation="AREAS",
        points=[
            Point(date(2021, 4, 15), 25, 7, 9, 0.4, 1.0),
            Point(date(2023, 6, 15), 34, 9, 12, 0.6, 1.0),
            Point(date(2026, 11, 15), 30, 8, 10, 0.7, 0.95),
        ],
        conditions=[(date(2021, 1, 1), SQUAT)],
    ),
    SiteSpec(
        key="pont_de_bois",
        data={
            "name": "Campement du Pont de Bois",
            "kind": SiteKind.SHANTYTOWN,
            "address": "Talus du chemin du Pont de Bois",
            "latitude": 50.6262,
            "longitude": 3.1335,
            "owner_kind": OwnerKind.PUBLIC,
            "owner_name": "Ville de Villeneuve-d'Ascq",
            "opened_on": date(2017, 5, 1),
            "known_since": date(2017, 6, 1),
        },
        commune="59009",
        organisation="AREAS",
        points=[
            Point(date(2019, 2, 15), 48, 12, 20, 0.3, 0.9),
            Point(date(2022, 1, 15), 52, 13, 22, 0.5, 0.9),
            Point(date(2024, 6, 15), 38, 10, 16, 0.6, 0.9),
        ],
        conditions=[(date(2017, 1, 1), WATER_FAR), (date(2021, 10, 1), WATER_WORKS_DONE)],
        notes={date(2024, 9, 10): "Diagnostic social terminé : dix ménages, une solution recherchée pour chacun."},
        until=date(2024, 9, 10),
    ),
    SiteSpec(
        key="molinel",
        data={
            "name": "Terrain d'insertion du Molinel",
            "kind": SiteKind.TEMPORARY_SITE,
            "address": "Rue du Molinel (terrain municipal aménagé)",
            "latitude": 50.6871,
            "longitude": 3.1822,
            "owner_kind": OwnerKind.PUBLIC,
            "owner_name": "Ville de Roubaix",
            "opened_on": date(2020, 6, 15),
            "known_since": date(2020, 6, 15),
        },
        commune="59512",
        organisation="AREAS",
        points=[
            Point(date(2020, 7, 15), 40, 10, 18, 0.8, 0.7),
            Point(date(2026, 11, 15), 44, 11, 19, 0.95, 0.7),
        ],
        conditions=[(date(2020, 1, 1), INSERTION_SITE)],
    ),
    SiteSpec(
        key="pres_vaches",
        data={
            "name": "Aire des Prés-Vaches",
            "kind": SiteKind.CARAVANS,
            "address": "Parking du chemin des Prés-Vaches",
            "latitude": 50.7318,
            "longitude": 3.1497,
            "owner_kind": OwnerKind.UNKNOWN,
            "opened_on": date(2022, 3, 1),
            "known_since": date(2022, 3, 10),
        },
        commune="59599",
        organisation="AREAS",
        points=[
            Point(date(2022, 4, 15), 18, 5, 8, 0.3, 0.6),
            Point(date(2026, 11, 15), 22, 6, 9, 0.5, 0.6),
        ],
        conditions=[(date(2022, 1, 1), CARAVANS), (date(2025, 3, 1), CARAVANS_TOILETS)],
    ),
    SiteSpec(
        key="garennes",
        data={
            "name": "Campement de la rue des Garennes",
            "kind": SiteKind.SHANTYTOWN,
            "address": "Terrain vague, rue des Garennes, zone des Dunes",
            "latitude": 50.9561,
            "longitude": 1.8902,
            "owner_kind": OwnerKind.PUBLIC,
            "owner_name": "Domaine de l'État",
            "opened_on": date(2019, 3, 1),
            "known_since": date(2019, 3, 15),
        },
        commune="62193",
        organisation="DDETS 62",
        points=[
            Point(date(2019, 4, 15), 30, 8, 12, 0.2, 0.9),
            Point(date(2022, 4, 15), 36, 9, 14, 0.45, 0.9),
            Point(date(2026, 11, 15), 28, 7, 11, 0.6, 0.85),
        ],
        conditions=[(date(2019, 1, 1), CALAIS_EARLY), (date(2022, 6, 15), WATER_WORKS_DONE)],
        notes={date(2022, 6, 15): "Rampe d'eau et conteneurs installés par l'État."},
    ),
    SiteSpec(
        key="alouettes",
        data={
            "name": "Squat de la cité des Alouettes",
            "kind": SiteKind.SQUAT,
            "address": "Immeuble vacant, cité des Alouettes",
            "latitude": 50.4233,
            "longitude": 2.7702,
            "owner_kind": OwnerKind.PUBLIC,
            "owner_name": "Bailleur social (immeuble voué à la démolition)",
            "opened_on": date(2023, 2, 1),
            "known_since": date(2023, 2, 20),
        },
        commune="62510",
        organisation="DDETS 62",
        points=[
            Point(date(2023, 3, 15), 15, 4, 6, 0.3, 0.0),
            Point(date(2026, 11, 15), 19, 5, 7, 0.55, 0.0),
        ],
        conditions=[(date(2023, 1, 1), SQUAT)],
    ),
]

# The closed site: one solution (or none) per household; 8 of the 10 found one.
CLOSED_SITE = "pont_de_bois"
CLOSED_ON = date(2024, 9, 30)
CLOSED_HOUSEHOLDS: list[tuple[str, int, str, str]] = [
    ("Ménage 1 – cabane 1", 5, Solution.HOUSING, "Logement social à Villeneuve-d'Ascq (bail glissant)"),
    ("Ménage 2 – cabane 2", 4, Solution.HOUSING, "Logement d'insertion, Lille-Fives"),
    ("Ménage 3 – cabane 4", 6, Solution.HOUSING, "Logement social, Roubaix"),
    ("Ménage 4 – cabane 5", 3, Solution.SHELTER, "Centre d'hébergement d'urgence, Lille"),
    ("Ménage 5 – caravane 1", 2, Solution.SHELTER, "Hôtel social en attendant un logement"),
    ("Ménage 6 – caravane 2", 5, Solution.INSERTION_SITE, "Terrain d'insertion du Molinel, Roubaix"),
    ("Ménage 7 – caravane 3", 4, Solution.INSERTION_SITE, "Terrain d'insertion du Molinel, Roubaix"),
    ("Ménage 8 – cabane 6", 2, Solution.RETURN, "Retour en Roumanie, souhaité par le ménage"),
    ("Ménage 9 – cabane 7", 4, Solution.UNKNOWN, "Parti avant la fermeture"),
    ("Ménage 10 – cabane 8", 3, Solution.UNKNOWN, ""),
]
CLOSED_SHARE = 0.8


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _mix(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _interpolate(points: list[Point], on: date) -> Point:
    if on <= points[0].on:
        return points[0]
    for before, after in zip(points, points[1:], strict=False):
        if before.on <= on <= after.on:
            t = (on - before.on).days / max((after.on - before.on).days, 1)
            return Point(
                on,
                round(_mix(before.people, after.people, t)),
                round(_mix(before.households, after.households, t)),
                round(_mix(before.minors, after.minors, t)),
                _mix(before.school, after.school, t),
                _mix(before.ro, after.ro, t),
            )
    return points[-1]


def _bands(minors: int) -> dict[str, int]:
    """Split the minors into the age bands (largest remainders): the bands add up."""
    raw = [minors * w for w in BAND_WEIGHTS]
    counts = [int(r) for r in raw]
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: minors - sum(counts)]:
        counts[index] += 1
    return dict(zip(BANDS, counts, strict=True))


def _figures(point: Point) -> dict[str, Any]:
    bands = _bands(point.minors)
    school_age = bands["minors_3_6"] + bands["minors_6_12"] + bands["minors_12_16"]
    in_school = min(round(school_age * point.school), point.minors)
    romanians = round(point.people * point.ro)
    bulgarians = point.people - romanians
    nationalities = {k: v for k, v in (("RO", romanians), ("BG", bulgarians)) if v}
    languages = {
        k: v
        for k, v in (("ro", romanians), ("bg", bulgarians), ("rom", round(point.people * 0.75)), ("fr", in_school))
        if v
    }
    return {
        "people": point.people,
        "households": point.households,
        "minors": point.minors,
        **bands,
        "children_in_school": in_school,
        "nationalities": nationalities,
        "languages": languages,
    }


def _schedule(spec: SiteSpec, today: date) -> list[date]:
    """Observation dates: from the first key point, every 3 to 6 months, to today (or the end)."""
    last = min(spec.until or today, today)
    days, day, step = [], spec.points[0].on, 0
    while day <= last:
        days.append(day)
        day = _add_months(day, STEPS[step % len(STEPS)])
        step += 1
    if spec.until and days[-1] != spec.until:
        days.append(spec.until)
    return days


def _conditions(spec: SiteSpec, on: date) -> dict[str, Any]:
    current: dict[str, Any] = {}
    for start, values in spec.conditions:
        if start <= on:
            current = values
    return dict(current)


class Command(BaseCommand):
    help = "Load demonstration living sites in the Nord and the Pas-de-Calais, with their history."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        orgs = {o.acronym: o for o in Organisation.objects.filter(acronym__in=ORGANISATIONS)}
        users = {u.email: u for u in User.objects.filter(email__in=USERS.values())}
        if len(orgs) < len(ORGANISATIONS) or len(users) < len(USERS):
            raise CommandError("Run manage.py demo_data first (the demo organisations and users are missing).")
        people = {key: users[email] for key, email in USERS.items()}
        names = [spec.data["name"] for spec in SITES]
        existing = {s.name: s for s in Site.objects.filter(name__in=names, created_by=people["coordinator"])}
        if existing:
            linked = _link_pathways(existing, people["counsellor"])
            self.stdout.write(
                f"Demo sites: already loaded ({len(existing)} demo sites), "
                f"{linked} Pathways households or visits linked."
            )
            return
        counts = _load(orgs, people)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo sites: {sites} sites, {updates} updates, {actions} actions, {fundings} fundings, "
                "{indicators} indicators, {closures} closures, {closure_households} closure households, "
                "{entries} journal entries, {linked} Pathways households or visits linked.".format(**counts)
            )
        )


def _load(orgs: dict[str, Organisation], people: dict[str, User]) -> dict[str, int]:
    today = timezone.localdate()
    coordinator, counsellor, mediator = people["coordinator"], people["counsellor"], people["mediator"]
    counts = dict.fromkeys(
        ["sites", "updates", "actions", "fundings", "indicators", "closures", "closure_households", "entries"], 0
    )
    communes = {c.code: c for c in Commune.objects.filter(code__in={spec.commune for spec in SITES})}
    sites: dict[str, Site] = {}

    # --- Sites and their history ---------------------------------------------------------------
    for spec in SITES:
        data = {**spec.data, "commune": communes[spec.commune], "organisation": orgs[spec.organisation]}
        if spec.key == "peupliers":
            lat, lon, d = data["latitude"], data["longitude"], 0.0009
            ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
            data["outline"] = {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}
        if spec.key == "tanneurs":
            data.update(
                procedure=LegalProcedure.COURT,
                procedure_decision="Expulsion ordonnée par le tribunal judiciaire (référé du propriétaire)",
                procedure_decided_on=today - timedelta(days=150),
                procedure_deadline=today + timedelta(days=40),
            )
        site = site_create(actor=coordinator, data=data, may_set_procedure=True)
        sites[spec.key] = site
        counts["sites"] += 1
        in_62 = site.department_id == "62"
        schedule = _schedule(spec, today)
        # A note goes with the first observation on or after its date.
        notes = {min((d for d in schedule if d >= on), default=None): text for on, text in spec.notes.items()}
        for index, day in enumerate(schedule):
            source = FigureSource.ESTIMATE if index % 3 == 2 else FigureSource.TEAM_COUNT
            if in_62 and index % 4 == 1:
                source = FigureSource.PARTNER
            update = {
                "observed_on": day,
                "source": source,
                **_figures(_interpolate(spec.points, day)),
                **_conditions(spec, day),
                "notes": notes.get(day, ""),
            }
            author = coordinator if in_62 else (mediator if index % 5 == 4 else counsellor)
            organisation = orgs["Préfecture HdF"] if in_62 else orgs["AREAS"]
            site_update_record(actor=author, site=site, data=update, organisation_id=organisation.pk)
            counts["updates"] += 1

    # --- Actions, their fundings and indicators ------------------------------------------------
    nord = [sites[k] for k in ("peupliers", "tanneurs", "pont_de_bois", "molinel", "pres_vaches")]

    def action(data: dict[str, Any], fundings: list[tuple], indicators: list[tuple]) -> None:
        created = action_create(actor=coordinator, data=data)
        counts["actions"] += 1
        for year, kind, funder, amount in fundings:
            funding_add(actor=coordinator, action=created, year=year, funder_kind=kind, funder=funder, amount=amount)
            counts["fundings"] += 1
        for year, label, code, planned, achieved in indicators:
            indicator_set(
                actor=coordinator, action=created, year=year, label=label, code=code, planned=planned, achieved=achieved
            )
            counts["indicators"] += 1

    years = range(2019, today.year + 1)
    action(
        {
            "title": "Insertion professionnelle des habitants des bidonvilles de la métropole lilloise",
            "domain": ActionDomain.EMPLOYMENT,
            "description": (
                "Depuis le 17 mars 2014 (fin des mesures transitoires d'accès au marché du travail pour les "
                "Roumains et les Bulgares), deux conseillers en insertion professionnelle de l'unité AREAS "
                "accompagnent vers l'emploi et la formation les habitants des bidonvilles : visites sur les "
                "terrains, entretiens au bureau, levée des freins sociaux avec les travailleurs sociaux."
            ),
            "department": "59",
            "sites": nord,
            "lead_organisation": orgs["AREAS"],
            "partners": [orgs["France Travail"]],
            "started_on": date(2014, 3, 17),
        },
        [(y, FunderKind.STATE, "DIHAL – résorption des bidonvilles", 60000 + 2500 * (y - 2019)) for y in years]
        + [(y, FunderKind.DEPARTMENT, "Département du Nord", 25000) for y in years]
        + [(y, FunderKind.EUROPE, "Fonds social européen+", 40000) for y in years if y >= 2022],
        [(y, "Personnes accompagnées vers l'emploi", "employment_followed", 60, 48 + 2 * (y - 2019)) for y in years]
        + [(y, "Contrats de travail signés", "employment_contracts", 20, 9 + y - 2019) for y in years]
        + [(y, "Entrées en formation", "training_entries", 10, 5 + (y - 2019) // 2) for y in years],
    )
    action(
        {
            "title": "Médiation scolaire sur les terrains",
            "domain": ActionDomain.SCHOOLING,
            "description": "Inscriptions en mairie, lien avec les écoles et le CASNAV, transport et fournitures.",
            "department": "59",
            "sites": nord,
            "lead_organisation": orgs["AREAS"],
            "partners": [orgs["CCAS Lille"]],
            "started_on": date(2019, 9, 1),
        },
        [(y, FunderKind.STATE, "DIHAL – médiation scolaire", 45000) for y in years]
        + [(y, FunderKind.MUNICIPALITY, "Ville de Lille", 10000) for y in years if y >= 2021],
        [(y, "Enfants inscrits à l'école", "children_enrolled", 45, 22 + 4 * (y - 2019)) for y in years],
    )
    action(
        {
            "title": "Médiation en santé",
            "domain": ActionDomain.HEALTH_MEDIATION,
            "description": "Ouverture des droits à l'assurance maladie, accompagnement vers la PASS et la PMI.",
            "department": "59",
            "sites": nord,
            "lead_organisation": orgs["AREAS"],
            "partners": [orgs["CAF 59"]],
            "started_on": date(2020, 1, 1),
        },
        [(y, FunderKind.STATE, "ARS Hauts-de-France", 35000) for y in years if y >= 2020]
        + [(y, FunderKind.SOCIAL_SECURITY, "CPAM de Lille-Douai", 8000) for y in years if y >= 2022],
        [
            (y, "Personnes ayant ouvert leurs droits santé", "health_rights_opened", 40, 25 + 3 * (y - 2020))
            for y in years
            if y >= 2020
        ],
    )
    action(
        {
            "title": "Raccordement à l'eau et collecte des déchets",
            "domain": ActionDomain.WATER_WASTE,
            "description": "Points d'eau, bacs et ramassage hebdomadaire sur deux terrains de la métropole.",
            "department": "59",
            "sites": [sites["peupliers"], sites["pont_de_bois"]],
            "lead_organisation": orgs["CCAS Lille"],
            "partners": [orgs["AREAS"]],
            "started_on": date(2021, 3, 1),
            "ended_on": date(2021, 12, 31),
        },
        [
            (2021, FunderKind.STATE, "DIHAL – résorption des bidonvilles", 38000),
            (2021, FunderKind.MUNICIPALITY, "Métropole européenne de Lille", 22000),
        ],
        [(2021, "Points d'eau installés", "water_points", 4, 4), (2021, "Bacs à déchets installés", "", 12, 10)],
    )
    action(
        {
            "title": "Accès à l'eau et à l'hygiène à Calais",
            "domain": ActionDomain.WATER_WASTE,
            "description": "Rampe d'eau, conteneurs et passage hebdomadaire d'une équipe d'hygiène.",
            "department": "62",
            "sites": [sites["garennes"]],
            "lead_organisation": orgs["DDETS 62"],
            "started_on": date(2022, 1, 1),
        },
        [(y, FunderKind.STATE, "Préfecture du Pas-de-Calais", 30000) for y in years if y >= 2022],
        [(y, "Points d'eau en service", "water_points", 1, 1) for y in years if y >= 2022],
    )

    # --- The closed site: a solution for each household, then the closure ---------------------
    closed = sites[CLOSED_SITE]
    closure_prepare(
        actor=counsellor,
        site=closed,
        planned_on=CLOSED_ON,
        notes="Fermeture concertée avec la ville : diagnostic social, solution recherchée pour chaque ménage.",
    )
    counts["closures"] += 1
    for label, size, solution, detail in CLOSED_HOUSEHOLDS:
        closure_household_add(
            actor=counsellor, site=closed, label=label, people=size, solution=solution, solution_detail=detail
        )
        counts["closure_households"] += 1
    site_close(actor=coordinator, site=closed, closed_on=CLOSED_ON, reason=ClosureReason.RESORPTION)

    # --- Pathways: households living on the sites, visits ----------------------------------------
    linked = _link_pathways({s.name: s for s in sites.values()}, counsellor)

    # --- A closure being prepared (the squat under a court decision) ---------------------------
    tanneurs = sites["tanneurs"]
    closure_prepare(
        actor=counsellor,
        site=tanneurs,
        planned_on=today + timedelta(days=45),
        notes="Décision d'expulsion : diagnostic social en cours, orientations vers le SIAO.",
    )
    counts["closures"] += 1
    rusu = Household.objects.filter(living_site=tanneurs, name="Rusu").first()
    closure_household_add(
        actor=counsellor,
        site=tanneurs,
        label="Jeune majeur – pièce 4",
        people=1,
        household=rusu,
        solution=Solution.OTHER,
        solution_detail="Foyer de jeunes travailleurs (demande déposée)",
    )
    for number in range(1, 4):
        closure_household_add(
            actor=counsellor, site=tanneurs, label=f"Ménage {number} – pièce {number}", people=3 + number
        )
    counts["closure_households"] += 4

    # --- Journal entries of several classes ----------------------------------------------------
    def entry(key: str, author: User, org: str, sensitivity: str, on: date, text: str) -> None:
        site_journal_entry_create(
            actor=author,
            site=sites[key],
            organisation_id=orgs[org].pk,
            sensitivity=sensitivity,
            occurred_on=min(on, today),
            text=text,
        )
        counts["entries"] += 1

    S = Sensitivity
    entry("peupliers", counsellor, "AREAS", S.GENERAL, date(2021, 9, 20),
          "Travaux terminés : deux points d'eau et des bacs à déchets sur le terrain.")  # fmt: skip
    entry("peupliers", counsellor, "AREAS", S.SOCIAL, date(2025, 3, 12),
          "Trois ménages ont déposé une demande de logement social ; dossiers suivis avec le CCAS.")  # fmt: skip
    entry("peupliers", counsellor, "AREAS", S.HEALTH, date(2026, 2, 10),
          "Séance de vaccination avec la PMI sur le terrain : quatorze enfants vaccinés.")  # fmt: skip
    entry("peupliers", mediator, "AREAS", S.GENERAL, date(2026, 10, 5),
          "Réunion d'information sur la rentrée scolaire, traduite en roumain et en bulgare.")  # fmt: skip
    entry("tanneurs", coordinator, "Préfecture HdF", S.JUSTICE, today - timedelta(days=150),
          "Ordonnance d'expulsion rendue ; le concours de la force publique n'est pas encore demandé.")  # fmt: skip
    entry("tanneurs", counsellor, "AREAS", S.SOCIAL, today - timedelta(days=20),
          "Diagnostic social avant la fermeture : quatre ménages rencontrés, dont un jeune majeur.")  # fmt: skip
    entry("pont_de_bois", counsellor, "AREAS", S.GENERAL, date(2024, 10, 1),
          "Terrain fermé le 30 septembre : huit ménages sur dix ont une solution.")  # fmt: skip
    entry("molinel", people["manager"], "AREAS", S.GENERAL, date(2025, 6, 2),
          "Comité de suivi du terrain d'insertion avec la ville de Roubaix : deux sorties en logement.")  # fmt: skip
    entry("garennes", coordinator, "Préfecture HdF", S.GENERAL, date(2022, 6, 15),
          "Rampe d'eau installée par l'État ; passage hebdomadaire d'une équipe d'hygiène.")  # fmt: skip
    entry("alouettes", coordinator, "Préfecture HdF", S.SOCIAL, date(2025, 11, 18),
          "Le bailleur annonce la démolition pour 2027 ; diagnostic social à prévoir.")  # fmt: skip
    return {**counts, "linked": linked}


def _link_pathways(sites: dict[str, Site], counsellor: User) -> int:
    """Link the demo_pathways households living on a demo site, and its home visits there, to
    the site (those not linked yet). Returns how many were linked."""
    targets = {
        PEUPLIERS_REF: sites.get("Terrain du Chemin des Peupliers"),
        TANNEURS_REF: sites.get("Squat de la rue des Tanneurs"),
    }
    linked = 0
    for reference, site in targets.items():
        if site is None or site.status != "open":
            continue
        for household in Household.objects.filter(living_site__isnull=True, living_site_ref=reference):
            household_update(
                actor=counsellor, household=household, expected_version=None, living_site=site, living_site_ref=""
            )
            linked += 1
        visits = Appointment.objects.filter(
            living_site__isnull=True, living_site_ref=reference, kind=AppointmentKind.HOME_VISIT
        )
        for visit in visits:
            changes: dict[str, Any] = {"living_site": [None, str(site.pk)], "living_site_ref": SENSITIVE_MARK}
            fields: dict[str, Any] = {"living_site": site, "living_site_ref": ""}
            if visit.location == reference:  # the site's name was also typed as the place
                fields["location"], changes["location"] = "", SENSITIVE_MARK
            Appointment.objects.filter(pk=visit.pk).update(**fields)
            audit_record(
                actor=counsellor,
                action=AuditAction.UPDATE,
                obj=visit,
                changes=changes,
                reason="demo: the visit targets the living site",
            )
            linked += 1
    return linked
