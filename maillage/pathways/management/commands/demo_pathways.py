"""Load demonstration cases for Pathways (idempotent); run it after demo_data and demo_directory.

Modelled on the seeds: the AREAS job counsellor (the demo professional of ``demo_data``) and the
volunteer mediator visit the families of a Lille shantytown ("terrain") every week — families from
Romania and Bulgaria, EU citizens — and follow a refugee, an asylum seeker, a person under
temporary protection and a young adult living in a squat. Everything is written through the
Pathways services (consents, plans, referrals, visits, journal, outcome and its follow-ups),
so the audit journal, the versions and the last activity dates are right.

All names are fictional. A receiving counsellor of France Travail is added (without a usable
password) so that one referral can be shown as accepted. Running the command again changes
nothing: it stops if the demo households are already there (they carry ``DEMO_MARKER`` in
their notes).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from maillage.accounts.models import User
from maillage.accounts.services import user_create
from maillage.directory.enums import LOCAL_SOURCE
from maillage.directory.models import Service
from maillage.organisations import services as org_services
from maillage.organisations.enums import Role
from maillage.organisations.models import Organisation

from ... import enums
from ...models import Household, Person
from ...services import appointments, consent, households, journal, outcomes, plans, referrals

DEMO_MARKER = "[démo Maillage]"
SITE = "Terrain du Chemin des Peupliers, Lille-Hellemmes"
FRANCE_TRAVAIL_COUNSELLOR = {
    "email": "conseillere@francetravail-demo.example",
    "first_name": "Sophie",
    "last_name": "Carpentier",
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _next_weekday(today: date, weekday: int) -> date:
    """The given weekday (0 = Monday) of next week."""
    return today + timedelta(days=7 - today.weekday() + weekday)


class Command(BaseCommand):
    help = "Load demonstration cases (households, plans, referrals, visits, journal, outcomes) for AREAS."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        orgs = {o.acronym: o for o in Organisation.objects.filter(acronym__in=["AREAS", "France Travail", "CAF 59"])}
        users = {
            u.email: u for u in User.objects.filter(email__in=["conseiller@areas.example", "mediatrice@areas.example"])
        }
        if len(orgs) < 3 or len(users) < 2:
            raise CommandError("Run manage.py demo_data first (AREAS, its counsellor and mediator are missing).")
        services = {
            s.source_id: s
            for s in Service.objects.filter(
                source=LOCAL_SOURCE,
                source_id__in=[
                    "demo-ft-lille-accompagnement",
                    "demo-caf-lille-droits",
                    "demo-ccas-lille-domiciliation",
                ],
            )
        }
        if len(services) < 3:
            raise CommandError("Run manage.py demo_directory first (France Travail, CAF and CCAS services missing).")
        areas = orgs["AREAS"]
        demo = Household.objects.filter(organisation=areas, notes__startswith=DEMO_MARKER)
        if demo.exists():
            self.stdout.write(f"Demo pathways: already loaded ({demo.count()} demo households), nothing changed.")
            return
        counts = _load(
            areas=areas,
            france_travail=orgs["France Travail"],
            caf=orgs["CAF 59"],
            counsellor=users["conseiller@areas.example"],
            mediator=users["mediatrice@areas.example"],
            services=services,
        )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo pathways: {households} households, {persons} persons, {consents} consents, {goals} goals, "
                "{referrals} referrals, {appointments} appointments, {entries} journal entries, "
                "{outcomes} outcome created.".format(**counts)
            )
        )


def _counsellor_of(organisation: Organisation) -> User:
    """The France Travail counsellor who answers the demo referral (no usable password)."""
    user = User.objects.filter(email=FRANCE_TRAVAIL_COUNSELLOR["email"]).first()
    if user is None:
        user = user_create(actor=None, password=None, **FRANCE_TRAVAIL_COUNSELLOR)
    org_services.membership_create(actor=None, organisation=organisation, user=user, role=Role.PROFESSIONAL)
    return user


def _load(
    *,
    areas: Organisation,
    france_travail: Organisation,
    caf: Organisation,
    counsellor: User,
    mediator: User,
    services: dict[str, Service],
) -> dict[str, int]:
    today = timezone.localdate()
    me = counsellor
    counts = dict.fromkeys(
        ["households", "persons", "consents", "goals", "referrals", "appointments", "entries", "outcomes"], 0
    )

    def household(name: str, notes: str, reference: dict[str, Any], members: list[dict[str, Any]], **fields: Any):
        h = households.household_create(
            actor=me,
            organisation=areas,
            reference_person=reference,
            name=name,
            referent=me,
            notes=f"{DEMO_MARKER} {notes}",
            commune_code="59350",
            **fields,
        )
        counts["households"] += 1
        counts["persons"] += 1
        for spec in members:
            households.person_create(actor=me, household=h, expected_version=None, **spec)
            counts["persons"] += 1
        return h

    def reference(h: Household) -> Person:
        return h.members.get(relation=enums.Relation.REFERENCE)

    def consents(h: Household, language: str, *partners: Organisation, statistics: bool = True) -> None:
        person = reference(h)
        given = today - timedelta(days=60)
        purposes: list[tuple[str, Organisation | None]] = [(enums.ConsentPurpose.FOLLOW_UP, None)]
        purposes += [(enums.ConsentPurpose.SHARING, p) for p in partners]
        if statistics:
            purposes.append((enums.ConsentPurpose.STATISTICS, None))
        for purpose, partner in purposes:
            consent.consent_give(
                actor=me, person=person, purpose=purpose, partner=partner, language=language, given_on=given
            )
            counts["consents"] += 1

    def goal(h: Household, domain: str, title: str, due: int | None, actions: list[dict[str, Any]]):
        g = plans.goal_create(
            actor=me, household=h, domain=domain, title=title, due_on=today + timedelta(days=due) if due else None
        )
        counts["goals"] += 1
        for spec in actions:
            if "due" in spec:
                spec["due_on"] = today + timedelta(days=spec.pop("due"))
            plans.action_create(actor=me, goal=g, **spec)
        return g

    def entry(h: Household, sensitivity: str, days_ago: int, text: str, author: User = me) -> None:
        journal.journal_entry_create(
            actor=author,
            household=h,
            organisation=areas,
            sensitivity=sensitivity,
            text=text,
            occurred_on=today - timedelta(days=days_ago),
        )
        counts["entries"] += 1

    on_site = {"living_place": enums.LivingPlace.LIVING_SITE, "living_site_ref": SITE}
    domiciliation = {"domiciliation": "CCAS de Lille"}

    # --- The families of the shantytown (Romania, Bulgaria: EU citizens) -----------------------
    stoica = household(
        "Stoica",
        "Famille suivie depuis l'ouverture du terrain ; le père est en CDD dans le bâtiment.",
        {
            "first_name": "Florin",
            "last_name": "Stoica",
            "aliases": ["Florin Stoika", "Florian Stoïca"],
            "birth_date": date(1988, 4, 12),
            "sex": enums.Sex.MALE,
            "languages": ["ro", "rom"],
            "french_level": enums.FrenchLevel.A2,
            "residence_status": enums.ResidenceStatus.EU_CITIZEN,
            "phone": "06 39 98 01 01",
        },
        [
            {
                "relation": enums.Relation.PARTNER,
                "first_name": "Mirela",
                "last_name": "Stoica",
                "aliases": ["Mirella"],
                "birth_year": 1991,
                "sex": enums.Sex.FEMALE,
                "languages": ["ro"],
                "french_level": enums.FrenchLevel.A1,
                "residence_status": enums.ResidenceStatus.EU_CITIZEN,
            },
            {"relation": enums.Relation.CHILD, "first_name": "Denisa", "birth_date": date(2014, 9, 3)},
            {"relation": enums.Relation.CHILD, "first_name": "Ionuț", "aliases": ["Ionut"], "birth_year": 2018},
        ],
        **on_site,
        **domiciliation,
    )
    dimitrov = household(
        "Dimitrov",
        "Arrivés de Bulgarie au printemps ; Mme Dimitrova attend une opération.",
        {
            "first_name": "Petya",
            "last_name": "Dimitrova",
            "aliases": ["Petia Dimitrova", "Petya Dimitrov"],
            "birth_year": 1985,
            "sex": enums.Sex.FEMALE,
            "languages": ["bg", "rom"],
            "french_level": enums.FrenchLevel.NONE,
            "residence_status": enums.ResidenceStatus.EU_CITIZEN,
        },
        [
            {
                "relation": enums.Relation.PARTNER,
                "first_name": "Ivan",
                "last_name": "Dimitrov",
                "aliases": ["Ivan Dimitrof"],
                "birth_year": 1983,
                "sex": enums.Sex.MALE,
                "languages": ["bg"],
                "residence_status": enums.ResidenceStatus.EU_CITIZEN,
            },
            {"relation": enums.Relation.CHILD, "first_name": "Kalina", "birth_date": date(2016, 1, 20)},
        ],
        **on_site,
    )
    lacatus = household(
        "Lăcătuș",
        "Trois enfants à scolariser ; l'inscription attend l'attestation de domiciliation.",
        {
            "first_name": "Maria",
            "last_name": "Lăcătuș",
            "aliases": ["Maria Lacatus", "Maria Lakatos"],
            "birth_year": 1993,
            "sex": enums.Sex.FEMALE,
            "languages": ["ro", "rom"],
            "french_level": enums.FrenchLevel.A1,
            "residence_status": enums.ResidenceStatus.EU_CITIZEN,
        },
        [
            {"relation": enums.Relation.CHILD, "first_name": "Alin", "birth_year": 2013},
            {"relation": enums.Relation.CHILD, "first_name": "Bianca", "birth_year": 2015},
            {"relation": enums.Relation.CHILD, "first_name": "Sorin", "birth_year": 2019},
        ],
        **on_site,
    )
    gheorghe = household(
        "Gheorghe",
        "Mère seule avec deux enfants ; suivi PMI.",
        {
            "first_name": "Ionela",
            "last_name": "Gheorghe",
            "aliases": ["Ionela Gheorghie"],
            "birth_date": date(1998, 11, 30),
            "sex": enums.Sex.FEMALE,
            "languages": ["ro"],
            "french_level": enums.FrenchLevel.A1,
            "residence_status": enums.ResidenceStatus.EU_CITIZEN,
        },
        [
            {"relation": enums.Relation.CHILD, "first_name": "Rebeca", "birth_year": 2020},
            {"relation": enums.Relation.CHILD, "first_name": "Daniel", "birth_year": 2023},
        ],
        **on_site,
        **domiciliation,
    )
    # --- A young adult in a squat, a refugee, an asylum seeker, a person under temporary protection
    rusu = household(
        "Rusu",
        "Jeune majeur, veut une formation de cariste.",
        {
            "first_name": "Andrei",
            "last_name": "Rusu",
            "aliases": ["Andrey Rusu"],
            "birth_date": date(today.year - 20, 2, 14),
            "sex": enums.Sex.MALE,
            "languages": ["ro", "fr"],
            "french_level": enums.FrenchLevel.B1,
            "residence_status": enums.ResidenceStatus.EU_CITIZEN,
        },
        [],
        living_place=enums.LivingPlace.LIVING_SITE,
        living_site_ref="Squat de la rue des Tanneurs, Lille",
    )
    rahimi = household(
        "Rahimi",
        "Réfugié, contrat d'intégration républicaine signé ; recherche d'emploi et de logement.",
        {
            "first_name": "Ahmad",
            "last_name": "Rahimi",
            "aliases": ["Ahmed Rahimy"],
            "birth_year": 1995,
            "sex": enums.Sex.MALE,
            "languages": ["prs", "ps", "en"],
            "french_level": enums.FrenchLevel.A2,
            "residence_status": enums.ResidenceStatus.REFUGEE,
            "phone": "06 39 98 01 06",
        },
        [],
        living_place=enums.LivingPlace.HOSTED,
        address="12 rue imaginaire, Lille",
    )
    idriss = household(
        "Idriss",
        "Demandeur d'asile ; attestation à renouveler bientôt.",
        {
            "first_name": "Adam",
            "last_name": "Idriss",
            "aliases": ["Adam Idris"],
            "birth_year": 1999,
            "sex": enums.Sex.MALE,
            "languages": ["ar", "en"],
            "french_level": enums.FrenchLevel.A1,
            "residence_status": enums.ResidenceStatus.ASYLUM_SEEKER,
        },
        [],
        living_place=enums.LivingPlace.SHELTER,
        **domiciliation,
    )
    kovalenko = household(
        "Kovalenko",
        "Protection temporaire ; hébergée chez une famille de Lille avec sa fille.",
        {
            "first_name": "Olena",
            "last_name": "Kovalenko",
            "aliases": ["Elena Kovalenko", "Olena Kowalenko"],
            "birth_year": 1979,
            "sex": enums.Sex.FEMALE,
            "languages": ["uk", "en"],
            "french_level": enums.FrenchLevel.A1,
            "residence_status": enums.ResidenceStatus.RESIDENCE_PERMIT,
        },
        [{"relation": enums.Relation.CHILD, "first_name": "Sofiia", "aliases": ["Sofia"], "birth_year": 2010}],
        living_place=enums.LivingPlace.HOSTED,
    )

    # --- Residence documents (one expires within 60 days: the alert) ---------------------------
    def document(h: Household, **fields: Any) -> None:
        households.document_create(actor=me, person=reference(h), expected_version=None, **fields)

    document(stoica, kind=enums.DocumentKind.ID_CARD, issued_on=date(2019, 5, 2), expires_on=date(2029, 5, 2))
    document(dimitrov, kind=enums.DocumentKind.ID_CARD, issued_on=date(2015, 3, 1), expires_on=today + timedelta(45))
    document(rahimi, kind=enums.DocumentKind.RESIDENCE_PERMIT, issued_on=today - timedelta(400),
             expires_on=today + timedelta(days=3250), note="Carte de résident (10 ans)")  # fmt: skip
    document(idriss, kind=enums.DocumentKind.ASYLUM_CERTIFICATE, issued_on=today - timedelta(days=150),
             expires_on=today + timedelta(days=30))  # fmt: skip
    document(kovalenko, kind=enums.DocumentKind.RESIDENCE_PERMIT, issued_on=today - timedelta(days=200),
             expires_on=today + timedelta(days=165), note="Autorisation provisoire de séjour")  # fmt: skip

    # --- Consents ------------------------------------------------------------------------------
    consents(stoica, "ro", france_travail, caf)
    consents(dimitrov, "bg", caf)
    consents(lacatus, "ro")
    consents(gheorghe, "ro", caf, statistics=False)
    consents(rusu, "fr", france_travail)
    consents(rahimi, "prs", france_travail)
    consents(idriss, "ar")
    consents(kovalenko, "uk", statistics=False)

    # --- Needs and plans -----------------------------------------------------------------------
    D, L = enums.Domain, enums.NeedLevel
    plans.need_assess(
        actor=me, household=stoica, levels={D.EMPLOYMENT: L.HIGH, D.HOUSING: L.URGENT, D.LANGUAGE: L.MEDIUM}
    )
    plans.need_assess(actor=me, household=dimitrov, levels={D.HEALTH: L.URGENT, D.RIGHTS: L.HIGH, D.LANGUAGE: L.HIGH})
    plans.need_assess(actor=me, household=lacatus, levels={D.EDUCATION: L.URGENT, D.RIGHTS: L.MEDIUM})
    plans.need_assess(actor=me, household=gheorghe, levels={D.HEALTH: L.MEDIUM, D.CHILDCARE: L.HIGH})
    plans.need_assess(actor=me, household=rusu, levels={D.EMPLOYMENT: L.HIGH, D.MOBILITY: L.LOW})
    plans.need_assess(
        actor=me, household=rahimi, levels={D.EMPLOYMENT: L.HIGH, D.HOUSING: L.HIGH, D.CITIZENSHIP: L.LOW}
    )
    plans.need_assess(actor=me, household=idriss, levels={D.RIGHTS: L.URGENT, D.LANGUAGE: L.HIGH})

    goal(stoica, D.EMPLOYMENT, "Trouver un emploi durable après le CDD", 90, [
        {"title": "Inscription à France Travail", "assignee": me, "status": enums.ActionStatus.DONE,
         "done_on": today - timedelta(days=150)},
        {"title": "Préparer un CV en français", "actor_label": "Florin, avec la médiatrice", "due": 14},
    ])  # fmt: skip
    goal(stoica, D.HOUSING, "Sortir du terrain vers un logement d'insertion", 180, [
        {"title": "Demande de logement social (numéro unique)", "assignee": me, "due": -10},  # overdue
    ])  # fmt: skip
    goal(dimitrov, D.HEALTH, "Ouvrir les droits à l'assurance maladie (PUMa)", 30, [
        {"title": "Constituer le dossier PUMa avec la PASS", "assignee": me, "due": -5,
         "status": enums.ActionStatus.IN_PROGRESS},
    ])  # fmt: skip
    goal(lacatus, D.EDUCATION, "Inscrire les trois enfants à l'école", 21, [
        {"title": "Inscription en mairie", "assignee": me, "status": enums.ActionStatus.BLOCKED, "due": 7,
         "blocker": "La mairie demande une attestation de domiciliation, pas encore délivrée."},
        {"title": "Rencontre avec le CASNAV", "actor_label": "Médiatrice scolaire", "due": 20},
    ])  # fmt: skip
    goal(rusu, D.EMPLOYMENT, "Entrer en formation de cariste (CACES)", 60, [
        {"title": "Rendez-vous France Travail pour le financement", "assignee": me, "due": 10},
    ])  # fmt: skip
    goal(rahimi, D.CITIZENSHIP, "Suivre les formations du contrat d'intégration républicaine", 120, [
        {"title": "Cours de français (400 h)", "actor_label": "OFII", "status": enums.ActionStatus.IN_PROGRESS},
    ])  # fmt: skip
    goal(idriss, D.RIGHTS, "Renouveler l'attestation de demande d'asile", 25, [
        {"title": "Prendre rendez-vous en préfecture", "assignee": me, "due": 5},
    ])  # fmt: skip

    # --- Referrals: accepted (France Travail), sent (CAF), abandoned (CCAS) --------------------
    ft = referrals.referral_send(
        actor=me,
        household=rusu,
        service=services["demo-ft-lille-accompagnement"],
        shared=[enums.SharedItem.IDENTITY, enums.SharedItem.CONTACTS, enums.SharedItem.PLAN],
        message="M. Rusu veut une formation de cariste ; il parle roumain et français.",
    )
    referrals.referral_transition(
        actor=_counsellor_of(france_travail), referral=ft, status=enums.ReferralStatus.ACCEPTED,
        note="Rendez-vous d'inscription fixé.", expected_version=None,
    )  # fmt: skip
    referrals.referral_send(
        actor=me,
        household=dimitrov,
        service=services["demo-caf-lille-droits"],
        shared=[enums.SharedItem.IDENTITY, enums.SharedItem.DOCUMENTS],
        message="Ouverture des droits aux prestations familiales.",
    )
    ccas = referrals.referral_send(
        actor=me, household=lacatus, service=services["demo-ccas-lille-domiciliation"], shared=[],
        message="Demande de domiciliation pour inscrire les enfants à l'école.",
    )  # fmt: skip
    referrals.referral_transition(
        actor=me, referral=ccas, status=enums.ReferralStatus.ABANDONED,
        note="Domiciliation finalement obtenue auprès d'une association.", expected_version=None,
    )  # fmt: skip
    counts["referrals"] = 3

    # --- Visits: one last week (done), one next week at the site for three households ---------
    K = enums.AppointmentKind
    last_week = today - timedelta(days=7)
    past = appointments.appointment_create(
        actor=me, organisation=areas, kind=K.HOME_VISIT,
        starts_at=_at(last_week, 10), ends_at=_at(last_week, 12),
        households=[stoica, gheorghe], staff=[me, mediator],
        title="Visite hebdomadaire du terrain", location=SITE, living_site_ref=SITE,
    )  # fmt: skip
    appointments.appointment_update_status(
        actor=me, appointment=past, status=enums.AppointmentStatus.DONE,
        note="Point sur la recherche d'emploi et le suivi PMI.",
    )  # fmt: skip
    tuesday = _next_weekday(today, 1)
    appointments.appointment_create(
        actor=me, organisation=areas, kind=K.HOME_VISIT,
        starts_at=_at(tuesday, 10), ends_at=_at(tuesday, 12, 30),
        households=[stoica, dimitrov, lacatus], staff=[me, mediator],
        title="Visite hebdomadaire du terrain", location=SITE, living_site_ref=SITE,
        notes="Apporter les dossiers PUMa et les formulaires d'inscription scolaire.",
    )  # fmt: skip
    thursday = _next_weekday(today, 3)
    appointments.appointment_create(
        actor=me, organisation=areas, kind=K.OFFICE,
        starts_at=_at(thursday, 14), ends_at=_at(thursday, 15),
        households=[rahimi], staff=[me], location="AREAS, 44 rue Nicolas Leblanc, Lille",
        title="Entretien emploi et logement",
    )  # fmt: skip
    appointments.appointment_create(
        actor=me, organisation=areas, kind=K.PHONE,
        starts_at=_at(today + timedelta(days=2), 9), ends_at=_at(today + timedelta(days=2), 9, 15),
        households=[idriss], staff=[me], title="Rappel : rendez-vous en préfecture",
    )  # fmt: skip
    counts["appointments"] = 4
    counts["entries"] += 2  # the journal entries of the visit that took place

    # --- Journal (general, social, health) -----------------------------------------------------
    S = enums.Sensitivity
    entry(stoica, S.GENERAL, 20, "Point sur le CDD : tout se passe bien ; préparer la suite (CDI ou formation).")
    entry(stoica, S.SOCIAL, 12, "Loyer impossible sans revenu stable ; demande de logement social à déposer.")
    entry(dimitrov, S.HEALTH, 9, "Accompagnement à la PASS du CHU : consultation faite, opération à programmer.")
    entry(dimitrov, S.GENERAL, 8, "Traduction en bulgare par la médiatrice pendant la visite.", author=mediator)
    entry(lacatus, S.SOCIAL, 5, "La mairie refuse l'inscription sans domiciliation ; relance prévue.")
    entry(gheorghe, S.HEALTH, 15, "Vaccinations des enfants à jour (carnet vu à la PMI).")
    entry(rahimi, S.GENERAL, 3, "Atelier CV fait ; cherche un poste de cuisinier.")
    entry(idriss, S.SOCIAL, 2, "Hébergé au CHRS ; attestation de demande d'asile à renouveler avant la fin du mois.")

    # --- An outcome (fixed-term job) and its follow-ups -----------------------------------------
    outcome = outcomes.outcome_create(
        actor=me,
        household=stoica,
        person=reference(stoica),
        kind=enums.OutcomeKind.JOB_FIXED_TERM,
        achieved_on=today - timedelta(days=100),
        detail="CDD de 6 mois, ouvrier du bâtiment, entreprise d'insertion de la métropole.",
    )
    first = outcome.follow_ups.get(months=3)
    outcomes.follow_up_record(
        actor=me,
        follow_up=first,
        status=enums.FollowUpStatus.DONE,
        situation=enums.FollowUpSituation.SAME,
        done_on=min(first.due_on, today),
    )
    counts["outcomes"] = 1
    return counts
