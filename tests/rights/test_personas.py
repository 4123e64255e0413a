"""Persona tests of the public rights portal API, written from the legal sources.

Each persona is a household described in a few words; each expectation names the provision
of law it comes from (CASF, Code de la sécurité sociale, CESEDA, Code de l'éducation, CCH,
Code du travail, loi n° 91-647). The expectations are NOT read from the rule files: when a
rule disagrees with the law, the test fails and the disagreement must be fixed in the rules.

Contract: ``POST /api/v1/rights/evaluate?lang=..`` (public, no login), JSON answers in,
``{"as_of", "results": [{"scheme", "status", "reasons", "sources", "documents",
"monthly_amount_eur", "places"}]}`` out, 422 ``validation_error`` with field errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

URL = "/api/v1/rights/evaluate"

ELIGIBLE = "eligible"
MAYBE = "maybe"
NOT_ELIGIBLE = "not_eligible"

KNOWN_SCHEMES = (
    "domiciliation",
    "puma",
    "css",
    "ame",
    "scolarisation",
    "cantine_tarif_social",
    "rsa",
    "prime_activite",
    "aide_logement",
    "allocations_familiales",
    "ada",
    "cir",
    "cours_francais",
    "france_travail_inscription",
    "cej",
    "dalo",
    "hebergement_urgence",
    "aide_juridictionnelle",
    "bourses_college_lycee",
)
# The youth scheme (Pass'Sport, or its successor): the one result id not in KNOWN_SCHEMES.
YOUTH = "<youth>"
LANGS = ("fr", "en", "ro", "bg", "ar", "prs", "ps", "uk")


# --------------------------------------------------------------------------------------
# Building the answers
# --------------------------------------------------------------------------------------

_ADULT_ALIASES = {
    "months": "months_in_france",
    "income": "monthly_income_eur",
    "french": "french_level",
    "permit": "permit_years",
    "work_ok": "permit_allows_work",
}


def adult(status: str = "french", age: int = 34, **fields: Any) -> dict[str, Any]:
    """One adult; short aliases: months, income, french, permit (years), work_ok."""
    data: dict[str, Any] = {"age": age, "residence_status": status, "months_in_france": 24}
    for key, value in fields.items():
        data[_ADULT_ALIASES.get(key, key)] = value
    return data


def child(age: int, in_school: bool | None = None) -> dict[str, Any]:
    """A child; by default in school between 3 and 17 (compulsory age and beyond)."""
    return {"age": age, "in_school": (3 <= age <= 17) if in_school is None else in_school}


def payload(
    status: str = "french",
    age: int = 34,
    *,
    adults: list[dict[str, Any]] | None = None,
    children: Iterable[int | dict[str, Any]] = (),
    housing: str = "rented",
    rent: float | None = None,
    department: str = "59",
    commune: str | None = "59350",
    has_address: bool | None = None,
    health_cover: str | None = None,
    **adult_fields: Any,
) -> dict[str, Any]:
    """The JSON body from a short description.

    ``payload("refugee", 30, income=0)`` is a refugee of 30 alone in a rented home in Lille.
    The rent defaults to 500 € for a rented home (0 otherwise); the address is known to be
    stable in a rented or owned home and left unknown elsewhere unless given.
    """
    body: dict[str, Any] = {
        "department": department,
        "household": {
            "adults": adults if adults is not None else [adult(status, age, **adult_fields)],
            "children": [child(c) if isinstance(c, int) else c for c in children],
        },
        "housing": housing,
        "rent_eur": (500 if housing == "rented" else 0) if rent is None else rent,
    }
    if commune is not None:
        body["commune"] = commune
    if has_address is None and housing in ("rented", "owner"):
        has_address = True
    if has_address is not None:
        body["has_address"] = has_address
    if health_cover is not None:
        body["health_cover"] = health_cover
    return body


# --------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    statuses: frozenset[str]
    law: str

    @property
    def strict(self) -> str | None:
        """The single expected status, if only one is accepted (counted for coverage)."""
        return next(iter(self.statuses)) if len(self.statuses) == 1 else None


def E(law: str) -> Expect:  # short names keep the table readable
    return Expect(frozenset({ELIGIBLE}), law)


def N(law: str) -> Expect:
    return Expect(frozenset({NOT_ELIGIBLE}), law)


def M(law: str) -> Expect:
    return Expect(frozenset({MAYBE}), law)


def NOT_E(law: str) -> Expect:  # "maybe" or "not_eligible", never "eligible"
    return Expect(frozenset({MAYBE, NOT_ELIGIBLE}), law)


def E_OR_M(law: str) -> Expect:  # "eligible" or "maybe", never "not_eligible"
    return Expect(frozenset({ELIGIBLE, MAYBE}), law)


@dataclass(frozen=True)
class Persona:
    id: str
    story: str
    body: dict[str, Any]
    expect: dict[str, Expect]


# Legal references, quoted once.
RSA_AGE = "CASF L262-4 1° (25 ans ou charge d'un enfant né ou à naître)"
RSA_FOREIGN = (
    "CASF L262-4 2° (étranger : 5 ans de titre autorisant à travailler, sauf réfugiés, "
    "protection subsidiaire, apatrides, carte de résident)"
)
RSA_EU = "CASF L262-6 (ressortissant UE : droit au séjour et résidence en France depuis 3 mois, sauf activité)"
RSA_RESOURCES = "CASF L262-2 (ressources inférieures au montant forfaitaire)"
PRIME = "CSS L842-1 (activité professionnelle, 18 ans, ressources modestes)"
PRIME_FOREIGN = "CSS L842-2 (mêmes conditions de séjour que le RSA : 5 ans de titre autorisant à travailler)"
PUMA = "CSS L160-1 et R111-3 (activité, ou résidence stable (3 mois) et régulière)"
PUMA_ASYLUM = (
    "CSS D160-2 modifié par le décret n° 2019-1531 du 30/12/2019 : les demandeurs d'asile majeurs "
    "sont soumis au délai de 3 mois de résidence"
)
CSS = "CSS L861-1 (personnes affiliées (L160-1) dont les ressources sont sous le plafond)"
AME = "CASF L251-1 (séjour irrégulier, résidence ininterrompue de plus de 3 mois, ressources sous le plafond)"
DOMICILIATION = "CASF L264-1 et L264-2 (personnes sans domicile stable)"
SCHOOL = "Code de l'éducation L131-1 et L111-1 (instruction obligatoire de 3 à 16 ans, français et étrangers)"
CANTINE = "Code de l'éducation L131-13 (tarifs de restauration scolaire fixés par la collectivité)"
AF = "CSS L521-1 (à partir du 2e enfant à charge, moins de 20 ans : R512-2)"
AF_FOREIGN = "CSS L512-1 et L512-2, D512-1/D512-2 (séjour régulier du parent et des enfants)"
ALOG = "CCH L821-1 et suivants, anciennement CSS L831-1 (loyer de la résidence principale, ressources, séjour régulier)"
ADA = "CESEDA L553-1 (allocation pour demandeur d'asile ayant accepté les conditions matérielles d'accueil)"
CIR = "CESEDA L413-2 (étranger admis pour la première fois au séjour, bénéficiaire d'une protection)"
CIR_EU = "CESEDA L200-1 et L413-2 (ressortissant UE ou Français : pas de contrat d'intégration)"
FRENCH_COURSES = (
    "CESEDA L413-3 (formation linguistique du CIR) et Code du travail L6111-2 (apprentissage de la langue française)"
)
FT = "Code du travail L5411-1 et R5221-48 (inscription : droit de travailler en France)"
CEJ = "Code du travail L5131-6 (16-25 ans, sans emploi ni formation, autorisés à travailler)"
DALO = "CCH L300-1, R300-2 et L441-2-3 (séjour régulier et permanent, sans logement ou hébergé en structure)"
URGENCE = "CASF L345-2-2 (toute personne sans abri en situation de détresse, sans condition)"
AJ = "Loi n° 91-647 art. 2, 3 et 4 (ressources sous plafond ; condition de résidence)"
AJ_QPC = (
    "Loi n° 91-647 art. 3 ; Conseil constitutionnel n° 2024-1091/1092/1093 QPC du 28 mai 2024 "
    "(« et régulièrement » censuré : la résidence habituelle suffit)"
)
BOURSES = "Code de l'éducation L531-1 et L531-4 (élève de collège ou de lycée, ressources de la famille)"
YOUTH_LAW = (
    "Pass'Sport (décrets annuels, 2025 : 14-17 ans bénéficiaires de l'ARS, CSS L543-1) ou le dispositif jeunesse "
    "qui lui succède"
)


def _schooling_personas() -> list[Persona]:
    """A child of 7 must be schooled whatever the parents' status and housing (L131-1)."""
    cases = [
        ("no_permit", "street", "59", "59350"),
        ("asylum_seeker", "squat", "93", "93066"),
        ("eu_citizen", "shantytown", "93", "93066"),
        ("french", "shelter", "62", "62041"),
        ("refugee", "hosted", "59", "59350"),
        ("residence_permit", "rented", "62", "62041"),
    ]
    return [
        Persona(
            id=f"child_7_{status}_{housing}",
            story=f"Parent {status} in a {housing}, a child of 7 not yet at school.",
            body=payload(
                status,
                36,
                months=8,
                children=[child(7, in_school=False)],
                housing=housing,
                department=dep,
                commune=commune,
            ),
            expect={"scolarisation": E(SCHOOL)},
        )
        for status, housing, dep, commune in cases
    ]


PERSONAS: list[Persona] = [
    # ---------------------------------------------------------------- international protection
    Persona(
        id="refugee_30_alone_no_income",
        story="Refugee of 30, alone, no income, renting in Lille, speaks no French.",
        body=payload("refugee", 30, months=14, income=0, french="none", rent=450),
        expect={
            "rsa": E(RSA_FOREIGN),
            "cir": E(CIR),
            "puma": E(PUMA),
            "css": E(CSS),
            "ame": N(AME + " : un réfugié est en séjour régulier"),
            "prime_activite": N(PRIME + " : pas d'activité"),
            "aide_logement": E(ALOG),
            "ada": N(ADA + " : l'ADA prend fin avec la protection"),
            "france_travail_inscription": E(FT),
            "cours_francais": E(FRENCH_COURSES),
            "aide_juridictionnelle": E(AJ),
            "domiciliation": N(DOMICILIATION),
            "hebergement_urgence": N(URGENCE + " : il a un logement"),
            "scolarisation": N(SCHOOL + " : pas d'enfant"),
            "cantine_tarif_social": N(CANTINE + " : pas d'enfant"),
            "allocations_familiales": N(AF),
            "bourses_college_lycee": N(BOURSES + " : pas d'enfant"),
            "cej": N(CEJ + " : 30 ans"),
        },
    ),
    Persona(
        id="subsidiary_protection_40_no_income",
        story="Beneficiary of subsidiary protection, 40, alone, no income, in France for 10 months.",
        body=payload("subsidiary_protection", 40, months=10, income=0, french="beginner", rent=400),
        expect={"rsa": E(RSA_FOREIGN), "cir": E(CIR), "puma": E(PUMA), "css": E(CSS), "ame": N(AME)},
    ),
    Persona(
        id="stateless_45_no_income",
        story="Stateless person of 45, alone, no income, renting.",
        body=payload("stateless", 45, months=60, income=0, rent=400),
        expect={"rsa": E(RSA_FOREIGN), "puma": E(PUMA), "ame": N(AME)},
    ),
    Persona(
        id="refugee_19_not_working",
        story="Refugee of 19, alone, no job nor training, a few words of French, hosted.",
        body=payload("refugee", 19, months=8, income=0, french="beginner", housing="hosted", has_address=True),
        expect={
            "rsa": N(RSA_AGE),
            "cej": E(CEJ),
            "cir": E(CIR),
            "cours_francais": E(FRENCH_COURSES),
            "france_travail_inscription": E(FT),
        },
    ),
    Persona(
        id="refugee_couple_two_children",
        story="Refugee couple, no income, children of 4 and 8 at school, renting in Arras.",
        body=payload(
            adults=[adult("refugee", 35, months=20), adult("refugee", 33, months=20)],
            children=[4, 8],
            rent=600,
            department="62",
            commune="62041",
        ),
        expect={
            "allocations_familiales": E(AF + " ; " + AF_FOREIGN + " (enfants de réfugiés : D512-2)"),
            "scolarisation": E(SCHOOL),
            "cantine_tarif_social": M(CANTINE),
            "rsa": E(RSA_FOREIGN),
            "aide_logement": E(ALOG),
            "bourses_college_lycee": N(BOURSES + " : enfants de 4 et 8 ans, à l'école primaire"),
            "cir": E(CIR),
        },
    ),
    # ---------------------------------------------------------------- residence permits
    Persona(
        id="permit_2_years_work_no_income",
        story="Holder of a 2-year permit allowing work, 35, alone, no income, renting.",
        body=payload("residence_permit", 35, permit=2, work_ok=True, months=30, income=0, rent=400),
        expect={
            "rsa": N(RSA_FOREIGN),
            "puma": E(PUMA),
            "css": E(CSS),
            "ame": N(AME),
            "france_travail_inscription": E(FT),
            "aide_logement": E(ALOG),
        },
    ),
    Persona(
        id="permit_2_years_work_low_wage",
        story="Holder of a 2-year permit allowing work, 35, working for 900 € a month.",
        body=payload("residence_permit", 35, permit=2, work_ok=True, months=30, working=True, income=900),
        expect={"prime_activite": N(PRIME_FOREIGN), "rsa": N(RSA_FOREIGN)},
    ),
    Persona(
        id="permit_6_years_work_no_income",
        story="Holder for 6 years of permits allowing work, 42, alone, no income.",
        body=payload("residence_permit", 42, permit=6, work_ok=True, months=80, income=0, rent=400),
        expect={"rsa": E(RSA_FOREIGN), "puma": E(PUMA)},
    ),
    Persona(
        id="permit_without_work_right",
        story="Holder of a 1-year permit not allowing work (visitor), 40.",
        body=payload("residence_permit", 40, permit=1, work_ok=False, months=12, income=0, rent=400),
        expect={"france_travail_inscription": N(FT), "rsa": N(RSA_FOREIGN), "puma": E(PUMA)},
    ),
    # ---------------------------------------------------------------- EU citizens
    Persona(
        id="romanian_2_months_inactive",
        story="Romanian citizen of 29, arrived 2 months ago, no activity, in a shantytown, no address.",
        body=payload(
            "eu_citizen",
            29,
            months=2,
            income=0,
            housing="shantytown",
            has_address=False,
            department="93",
            commune="93066",
        ),
        expect={
            "rsa": NOT_E(RSA_EU),
            "prime_activite": N(PRIME + " : pas d'activité"),
            "cir": N(CIR_EU),
            "hebergement_urgence": E(URGENCE),
            "domiciliation": E(DOMICILIATION),
            "france_travail_inscription": E(FT + " ; TFUE art. 45 (libre circulation des travailleurs)"),
            "aide_logement": N(ALOG + " : pas de loyer"),
            "ada": N(ADA),
        },
    ),
    Persona(
        id="romanian_worker",
        story="Romanian citizen of 30, in France for 8 months, employed for 1200 € a month.",
        body=payload("eu_citizen", 30, months=8, working=True, income=1200, rent=500),
        expect={
            "puma": E(PUMA + " (activité professionnelle)"),
            "prime_activite": E(PRIME + " ; " + PRIME_FOREIGN + " (travailleur UE : droit au séjour)"),
            "rsa": N(RSA_RESOURCES),
            "cir": N(CIR_EU),
            "ame": N(AME),
        },
    ),
    # ---------------------------------------------------------------- no residence permit
    Persona(
        id="undocumented_4_months",
        story="Adult of 40 without residence permit, in France for 4 months, no income, hosted.",
        body=payload("no_permit", 40, months=4, income=0, housing="hosted", has_address=True),
        expect={
            "ame": E(AME),
            "puma": N(PUMA),
            "css": N(CSS + " : la CSS suppose la PUMa, l'AME en tient lieu"),
            "rsa": N(RSA_FOREIGN),
            "prime_activite": N(PRIME_FOREIGN),
            "france_travail_inscription": N(FT),
            "cir": N(CIR + " : pas admis au séjour"),
            "ada": N(ADA),
            "aide_logement": N(ALOG),
            "dalo": NOT_E(DALO),
        },
    ),
    Persona(
        id="undocumented_1_month_street",
        story="Adult of 30 without residence permit, arrived 1 month ago, sleeping in the street.",
        body=payload("no_permit", 30, months=1, income=0, housing="street", has_address=False),
        expect={
            "ame": N(AME + " : moins de 3 mois de résidence (soins urgents seulement)"),
            "hebergement_urgence": E(URGENCE),
            "domiciliation": E(DOMICILIATION + " (L264-2 : pour l'AME, l'aide juridictionnelle, les droits civils)"),
            "puma": N(PUMA),
        },
    ),
    Persona(
        id="undocumented_20_years_old",
        story="Young adult of 20 without residence permit, in France for a year.",
        body=payload("no_permit", 20, months=12, income=0, housing="hosted", has_address=True),
        expect={"cej": N(CEJ), "france_travail_inscription": N(FT), "ame": E(AME)},
    ),
    Persona(
        id="undocumented_family_two_children",
        story="Parent without permit, 2 years in France, children of 6 and 9 at school, hosted.",
        body=payload(
            "no_permit",
            35,
            months=24,
            income=0,
            children=[6, 9],
            housing="hosted",
            has_address=True,
            department="93",
            commune="93066",
        ),
        expect={
            "allocations_familiales": N(AF_FOREIGN),
            "scolarisation": E(SCHOOL),
            "cantine_tarif_social": M(CANTINE + " ; L131-13 : l'inscription ne peut être refusée"),
            "ame": E(AME + " (enfants mineurs couverts avec le parent)"),
            "aide_juridictionnelle": E(AJ_QPC + " : 2 ans de résidence habituelle, sans ressources"),
            "rsa": N(RSA_FOREIGN),
            "puma": N(PUMA),
        },
    ),
    Persona(
        id="undocumented_tenant",
        story="Adult without permit renting a room for 400 €, 2 years in France, no income.",
        body=payload("no_permit", 38, months=24, income=0, rent=400),
        expect={
            "aide_logement": N(ALOG),
            "ame": E(AME),
            "aide_juridictionnelle": E(AJ_QPC + " : 2 ans de résidence habituelle, sans ressources"),
        },
    ),
    # ---------------------------------------------------------------- asylum seekers
    Persona(
        id="asylum_seeker_5_months_shelter",
        story="Asylum seeker of 28, in France for 5 months, in an accommodation centre, no income.",
        body=payload("asylum_seeker", 28, months=5, income=0, housing="shelter", has_address=True),
        expect={
            "ada": E(ADA),
            "rsa": N(RSA_FOREIGN + " : un demandeur d'asile n'a pas de titre"),
            "puma": E(PUMA + " ; " + PUMA_ASYLUM),
            "css": E(CSS),
            "ame": N(AME + " : l'attestation de demande d'asile vaut séjour régulier"),
            "cir": N(CIR + " : pas encore admis au séjour"),
            "prime_activite": N(PRIME),
            "aide_logement": N(ALOG + " : pas de loyer"),
            "france_travail_inscription": NOT_E(FT + " ; CESEDA L554-1 (accès au travail après 6 mois)"),
            "dalo": NOT_E(DALO),
            "aide_juridictionnelle": E(AJ + " ; art. 9-4 (de plein droit devant la CNDA)"),
        },
    ),
    Persona(
        id="asylum_seeker_17",
        story="Asylum seeker of 17, alone, in an accommodation centre.",
        body=payload("asylum_seeker", 17, months=5, income=0, housing="shelter", has_address=True),
        expect={"ada": N(ADA + " : condition d'âge, 18 ans révolus (un mineur relève de l'ASE)")},
    ),
    Persona(
        id="asylum_seeker_working_1500",
        story="Asylum seeker of 30, in France for 9 months, allowed to work and earning 1500 € a month.",
        body=payload("asylum_seeker", 30, months=9, working=True, income=1500, housing="hosted", has_address=True),
        expect={"ada": N(ADA + " : condition de ressources (montant du RSA)"), "rsa": N(RSA_FOREIGN)},
    ),
    Persona(
        id="asylum_seeker_1_month_street",
        story="Asylum seeker of 30 who arrived 1 month ago, sleeping in the street.",
        body=payload("asylum_seeker", 30, months=1, income=0, housing="street", has_address=False),
        expect={
            "ada": E(ADA),
            "rsa": N(RSA_FOREIGN),
            "puma": NOT_E(PUMA_ASYLUM),
            "hebergement_urgence": E(URGENCE),
            "domiciliation": E(DOMICILIATION),
        },
    ),
    # ---------------------------------------------------------------- French households
    Persona(
        id="french_50_street_no_address",
        story="French citizen of 50, sleeping in the street, no income, no address.",
        body=payload("french", 50, months=600, income=0, housing="street", has_address=False, french="fluent"),
        expect={
            "domiciliation": E(DOMICILIATION),
            "hebergement_urgence": E(URGENCE),
            "dalo": E(DALO + " ; R441-14-1 (dépourvu de logement)"),
            "rsa": E(RSA_AGE),
            "puma": E(PUMA),
            "css": E(CSS),
            "aide_juridictionnelle": E(AJ),
            "aide_logement": N(ALOG + " : pas de loyer"),
            "france_travail_inscription": E(FT),
            "cir": N(CIR_EU),
            "ada": N(ADA),
            "ame": N(AME),
        },
    ),
    Persona(
        id="french_45_owner_well_paid",
        story="French citizen of 45, owner of his home, working for 3000 € a month, fluent French.",
        body=payload("french", 45, months=540, working=True, income=3000, housing="owner", french="fluent"),
        expect={
            "domiciliation": N(DOMICILIATION),
            "hebergement_urgence": N(URGENCE),
            "dalo": N(DALO + " : propriétaire de son logement"),
            "aide_logement": N(ALOG + " : propriétaire sans loyer (APL accession supprimée, LFI 2018 art. 126)"),
            "rsa": N(RSA_RESOURCES),
            "prime_activite": N(PRIME + " : revenus au-dessus du plafond"),
            "css": N(CSS),
            "aide_juridictionnelle": N(AJ),
            "puma": E(PUMA),
            "cej": N(CEJ),
            "cir": N(CIR_EU),
            "ada": N(ADA),
            "ame": N(AME),
            "cours_francais": N(FRENCH_COURSES + " : parle couramment français"),
            YOUTH: N(YOUTH_LAW + " : ni enfant ni jeune"),
        },
    ),
    Persona(
        id="french_couple_high_income",
        story="French couple, both working for 4000 € a month, renting for 1200 €, no child.",
        body=payload(
            adults=[
                adult("french", 40, months=480, working=True, income=4000),
                adult("french", 38, months=456, working=True, income=4000),
            ],
            rent=1200,
        ),
        expect={
            "rsa": N(RSA_RESOURCES),
            "prime_activite": N(PRIME),
            "css": N(CSS),
            "aide_juridictionnelle": N(AJ),
            "aide_logement": N(ALOG + " : ressources"),
            "allocations_familiales": N(AF + " : pas d'enfant"),
        },
    ),
    Persona(
        id="french_couple_high_income_two_teenagers",
        story="French couple earning 2 × 4000 €, children of 12 and 16 at school.",
        body=payload(
            adults=[
                adult("french", 45, months=540, working=True, income=4000),
                adult("french", 44, months=528, working=True, income=4000),
            ],
            children=[12, 16],
            rent=1200,
        ),
        expect={
            "allocations_familiales": E(AF + " (sans condition de ressources, montant modulé : L521-1)"),
            "bourses_college_lycee": N(BOURSES + " : ressources au-dessus du plafond"),
            "rsa": N(RSA_RESOURCES),
            "scolarisation": E(SCHOOL),
        },
    ),
    Persona(
        id="french_single_parent_22",
        story="French single parent of 22 with a child of 2, no income, renting.",
        body=payload("french", 22, months=264, income=0, children=[child(2, in_school=False)], rent=400),
        expect={
            "rsa": E(RSA_AGE),
            "allocations_familiales": N(AF + " : un seul enfant"),
            "aide_logement": E(ALOG),
            "puma": E(PUMA),
        },
    ),
    Persona(
        id="french_22_alone",
        story="French citizen of 22, alone, no child, no job nor training, hosted by a friend.",
        body=payload("french", 22, months=264, income=0, housing="hosted", has_address=True),
        expect={
            "rsa": N(RSA_AGE),
            "cej": E(CEJ),
            "prime_activite": N(PRIME),
            "france_travail_inscription": E(FT),
        },
    ),
    Persona(
        id="french_low_wage_tenant",
        story="French citizen of 30, alone, working for 1000 € a month, renting for 450 €.",
        body=payload("french", 30, months=360, working=True, income=1000, rent=450),
        expect={
            "prime_activite": E(PRIME),
            "rsa": N(RSA_RESOURCES),
            "aide_logement": E(ALOG),
            "puma": E(PUMA),
        },
    ),
    Persona(
        id="french_parent_shelter",
        story="French parent of 35 with a child of 5, living in an emergency shelter, no income.",
        body=payload("french", 35, months=420, income=0, children=[5], housing="shelter", has_address=True),
        expect={
            "dalo": E_OR_M(DALO + " ; R441-14-1 (hébergé en structure depuis plus de 6 mois : durée inconnue)"),
            "scolarisation": E(SCHOOL),
            "rsa": E(RSA_AGE),
            "allocations_familiales": N(AF + " : un seul enfant"),
        },
    ),
    Persona(
        id="french_parent_collegian_no_income",
        story="French single parent of 38, no income, a child of 12 at collège, renting.",
        body=payload("french", 38, months=456, income=0, children=[12], rent=500),
        expect={
            "bourses_college_lycee": E(BOURSES),
            "rsa": E(RSA_AGE),
            "css": E(CSS),
            "scolarisation": E(SCHOOL),
        },
    ),
    Persona(
        id="french_parent_teenager_no_income",
        story="French single parent of 40, no income, a child of 15 at school (ARS family), renting.",
        body=payload("french", 40, months=480, income=0, children=[15], rent=500),
        expect={
            YOUTH: E(YOUTH_LAW),
            "bourses_college_lycee": E(BOURSES),
            "cantine_tarif_social": M(CANTINE),
        },
    ),
    Persona(
        id="french_25_alone_no_income",
        story="French citizen of 25 (just turned), alone, no child, no income, renting.",
        body=payload("french", 25, months=300, income=0, rent=400),
        expect={"rsa": E(RSA_AGE + " : à partir de 25 ans révolus")},
    ),
    Persona(
        id="french_17_working",
        story="French young worker of 17, earning 800 € a month, hosted.",
        body=payload("french", 17, months=204, working=True, income=800, housing="hosted", has_address=True),
        expect={"prime_activite": N(PRIME + " : 18 ans au moins"), "rsa": N(RSA_AGE)},
    ),
    Persona(
        id="french_parent_two_children_over_20",
        story="French parent of 50, no income, with two children of 21 and 22 at home.",
        body=payload("french", 50, months=600, income=0, children=[child(21, False), child(22, False)], rent=600),
        expect={"allocations_familiales": N(AF + " : enfants de plus de 20 ans, plus à charge au sens de R512-2")},
    ),
    Persona(
        id="undocumented_earning_2000",
        story="Adult without permit, 2 years in France, working undeclared for 2000 € a month.",
        body=payload("no_permit", 35, months=24, working=True, income=2000, housing="hosted", has_address=True),
        expect={"ame": N(AME + " : ressources au-dessus du plafond de la CSS gratuite (L861-1)")},
    ),
    Persona(
        id="french_child_3",
        story="French parent with a child of 3 not yet at school.",
        body=payload("french", 30, months=360, income=1500, working=True, children=[child(3, False)]),
        expect={"scolarisation": E(SCHOOL + " : instruction obligatoire dès 3 ans (loi n° 2019-791)")},
    ),
    Persona(
        id="french_40_hosted_no_address",
        story="French citizen of 40, hosted here and there, without an address to receive mail.",
        body=payload("french", 40, months=480, income=0, housing="hosted", has_address=False),
        expect={"domiciliation": E(DOMICILIATION), "rsa": E(RSA_AGE)},
    ),
    *_schooling_personas(),
]

PERSONAS_BY_ID = {p.id: p for p in PERSONAS}
assert len(PERSONAS_BY_ID) == len(PERSONAS), "persona ids must be unique"

CASES = [(p.id, scheme, exp) for p in PERSONAS for scheme, exp in p.expect.items()]


# --------------------------------------------------------------------------------------
# Calling the API
# --------------------------------------------------------------------------------------

_responses: dict[str, dict[str, Any]] = {}


def post(client: Client, body: Any, lang: str | None = None) -> Any:
    url = f"{URL}?lang={lang}" if lang else URL
    return client.post(url, data=json.dumps(body), content_type="application/json")


def evaluate(client: Client, body: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The JSON answer (cached per body and language: it does not depend on the test)."""
    key = json.dumps([body, lang], sort_keys=True)
    if key not in _responses:
        response = post(client, body, lang)
        assert response.status_code == 200, (response.status_code, response.content[:2000], body)
        _responses[key] = response.json()
    return _responses[key]


def results_by_scheme(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["scheme"]: r for r in data["results"]}


def youth_scheme(data: dict[str, Any]) -> str:
    extra = [r["scheme"] for r in data["results"] if r["scheme"] not in KNOWN_SCHEMES]
    assert len(extra) == 1, f"expected exactly one youth scheme besides the known ones, got {extra}"
    return extra[0]


def result(data: dict[str, Any], scheme: str) -> dict[str, Any]:
    scheme = youth_scheme(data) if scheme == YOUTH else scheme
    by_scheme = results_by_scheme(data)
    assert scheme in by_scheme, f"scheme {scheme} missing from {sorted(by_scheme)}"
    return by_scheme[scheme]


# --------------------------------------------------------------------------------------
# The persona table
# --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("persona_id", "scheme", "expect"), CASES, ids=[f"{p}-{s}" for p, s, _ in CASES])
def test_persona(client: Client, persona_id: str, scheme: str, expect: Expect) -> None:
    """Each (persona, scheme) expectation, with the provision of law it comes from."""
    persona = PERSONAS_BY_ID[persona_id]
    res = result(evaluate(client, persona.body), scheme)
    assert res["status"] in expect.statuses, (
        f"{persona.story} {scheme}: expected {sorted(expect.statuses)} by {expect.law}, "
        f"got {res['status']!r} because {res['reasons']}"
    )


@pytest.mark.django_db
def test_romanian_reason_names_the_right_of_residence(client: Client) -> None:
    """CASF L262-6: an EU citizen needs a right of residence and three months of residence."""
    res = result(evaluate(client, PERSONAS_BY_ID["romanian_2_months_inactive"].body), "rsa")
    assert res["status"] in (MAYBE, NOT_ELIGIBLE)
    text = " ".join(res["reasons"]).lower()
    assert "residence" in text or "three months" in text or "3 months" in text, res["reasons"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_cantine_is_never_more_than_maybe(client: Client, persona: Persona) -> None:
    """Code de l'éducation L131-13: school canteen prices are set by each commune or department."""
    assert result(evaluate(client, persona.body), "cantine_tarif_social")["status"] != ELIGIBLE


@pytest.mark.django_db
def test_asylum_seeker_gets_ada_not_rsa(client: Client) -> None:
    """CESEDA L553-1 (ADA) and CASF L262-4 2° (no RSA without a residence permit)."""
    data = evaluate(client, payload("asylum_seeker", 33, months=6, income=0, housing="shelter", has_address=True))
    assert result(data, "ada")["status"] == ELIGIBLE
    assert result(data, "rsa")["status"] == NOT_ELIGIBLE


# --------------------------------------------------------------------------------------
# Amounts (OpenFisca computes them: loose bounds)
# --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rsa_amount_of_a_refugee_alone_without_income(client: Client) -> None:
    """CASF L262-2: the RSA fills the gap up to the montant forfaitaire (about 650 € for one person)."""
    res = result(evaluate(client, payload("refugee", 30, months=14, income=0, rent=450)), "rsa")
    assert res["status"] == ELIGIBLE
    assert res["monthly_amount_eur"] is not None
    assert 0 < res["monthly_amount_eur"] < 1000


@pytest.mark.django_db
def test_high_income_couple_gets_no_rsa_nor_prime_activite(client: Client) -> None:
    """CASF L262-2 and CSS L842-3: resources far above the ceilings."""
    data = evaluate(client, PERSONAS_BY_ID["french_couple_high_income"].body)
    assert result(data, "rsa")["status"] == NOT_ELIGIBLE
    assert result(data, "prime_activite")["status"] == NOT_ELIGIBLE


# --------------------------------------------------------------------------------------
# Response shape, languages, privacy
# --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_response_shape(client: Client, persona: Persona) -> None:
    data = evaluate(client, persona.body)
    assert isinstance(date.fromisoformat(data["as_of"]), date)
    schemes = [r["scheme"] for r in data["results"]]
    assert len(schemes) == len(set(schemes)), "a scheme appears twice"
    youth = youth_scheme(data)
    assert set(schemes) == {*KNOWN_SCHEMES, youth}
    for res in data["results"]:
        assert res["status"] in (ELIGIBLE, MAYBE, NOT_ELIGIBLE), res
        assert res["reasons"] and all(isinstance(r, str) and r.strip() for r in res["reasons"]), res
        assert any(s["url"].startswith("https://") and s["title"] for s in res["sources"]), res
        assert isinstance(res["documents"], list) and all(isinstance(d, str) for d in res["documents"])
        amount = res["monthly_amount_eur"]
        assert amount is None or isinstance(amount, int | float)
        assert isinstance(res["places"], list)
        for place in res["places"]:
            assert {"id", "name", "distance_km"} <= set(place)


def _texts(data: dict[str, Any]) -> str:
    return " ".join(" ".join(r["reasons"]) for r in data["results"])


@pytest.mark.django_db
def test_english_and_french_reasons(client: Client) -> None:
    body = PERSONAS_BY_ID["refugee_30_alone_no_income"].body
    en, fr = evaluate(client, body, "en"), evaluate(client, body, "fr")
    en_by, fr_by = results_by_scheme(en), results_by_scheme(fr)
    assert any(en_by[s]["reasons"] != fr_by[s]["reasons"] for s in en_by), "same reasons in English and French"
    assert en_by["rsa"]["status"] == fr_by["rsa"]["status"]
    assert re.search(r"\b(the|you|your|not|is)\b", _texts(en), re.IGNORECASE)
    assert re.search(r"\b(le|la|les|des|du|vous|votre|pas|est)\b", _texts(fr), re.IGNORECASE)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_language_answers(client: Client, lang: str) -> None:
    data = evaluate(client, PERSONAS_BY_ID["undocumented_1_month_street"].body, lang)
    assert {r["scheme"] for r in data["results"]} >= set(KNOWN_SCHEMES)
    assert all(r["reasons"] for r in data["results"])


@pytest.mark.django_db
def test_arabic_texts_are_in_arabic_script(client: Client) -> None:
    data = evaluate(client, PERSONAS_BY_ID["undocumented_1_month_street"].body, "ar")
    assert re.search(r"[\u0600-\u06ff]", _texts(data)), "no Arabic text with ?lang=ar"


@pytest.mark.django_db
def test_public_without_login_csrf_or_session() -> None:
    """Anyone may ask (no login, no CSRF token); nothing is kept (no session cookie)."""
    client = Client(enforce_csrf_checks=True)
    response = post(client, payload("refugee", 30, income=0), "fr")
    assert response.status_code == 200, response.content[:500]
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _invalid_bodies() -> list[tuple[str, dict[str, Any], str]]:
    age = payload()
    age["household"]["adults"][0]["age"] = -3
    many_children = payload(children=[5] * 40)
    income = payload()
    income["household"]["adults"][0]["monthly_income_eur"] = "abc"
    unknown = payload()
    unknown["foo"] = 1
    unknown_nested = payload()
    unknown_nested["household"]["adults"][0]["nationality"] = "X"
    status = payload()
    status["household"]["adults"][0]["residence_status"] = "martian"
    commune = payload(department="59", commune="62041")
    rent = payload(housing="street", rent=300)
    return [
        ("age_minus_3", age, "household.adults.0.age"),
        ("forty_children", many_children, "household.children"),
        ("income_abc", income, "household.adults.0.monthly_income_eur"),
        ("unknown_field", unknown, "foo"),
        ("unknown_adult_field", unknown_nested, "household.adults.0.nationality"),
        ("unknown_residence_status", status, "household.adults.0.residence_status"),
        ("commune_not_in_department", commune, "commune"),
        ("rent_in_the_street", rent, "rent_eur"),
    ]


INVALID = _invalid_bodies()


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_answers_are_refused(client: Client, body: dict[str, Any], field: str) -> None:
    response = post(client, body, "en")
    assert response.status_code == 422, response.content[:500]
    data = response.json()
    assert data["code"] == "validation_error"
    assert data["message"]
    fields = [e["field"] for e in data["errors"]]
    assert field in fields, fields
    assert all(e["message"] and e["type"] for e in data["errors"])


# --------------------------------------------------------------------------------------
# The table proves its own coverage
# --------------------------------------------------------------------------------------


def test_personas_cover_every_scheme_both_ways() -> None:
    """Each scheme has an eligible and a not_eligible persona (the canteen: maybe and not_eligible)."""
    assert len(PERSONAS) >= 30
    assert all(p.story and p.expect for p in PERSONAS)
    assert all(exp.law for _, _, exp in CASES)
    covered = {(scheme, exp.strict) for _, scheme, exp in CASES if exp.strict}
    missing = []
    for scheme in (*KNOWN_SCHEMES, YOUTH):
        wanted = (MAYBE, NOT_ELIGIBLE) if scheme == "cantine_tarif_social" else (ELIGIBLE, NOT_ELIGIBLE)
        missing += [(scheme, status) for status in wanted if (scheme, status) not in covered]
    assert not missing, f"uncovered (scheme, status) pairs: {missing}"
