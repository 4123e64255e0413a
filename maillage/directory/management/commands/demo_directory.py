"""Load a demonstration directory for the Nord (59) and the Pas-de-Calais (62) (idempotent).

Drawn from the seed documents: the AREAS (La Sauvegarde du Nord) job counsellors in Lille's
shantytowns, French courses, domiciliation, the PASS of the CHU de Lille, France Travail,
the CAF, the OFII (republican integration contract), legal aid, school enrolment (CASNAV),
emergency shelter (115), food aid; departmental integration referents and Roma inclusion
correspondents; five good practices (AREAS, the Seine-Saint-Denis Roma coordination and
training, school mediation, health mediation, an exchange of the Alliance of cities).

Run it after ``manage.py demo_data``: entries are linked to its organisations by acronym
(the structures of other bodies have no organisation). Writes go through the directory's
services, so the search columns and the audit journal are right. An entry that already
exists (same ``source_id`` for structures and services, same organisation and name or title
for referents and projects) is left as it is. Phone numbers are in the range ARCEP reserves
for fiction (03 53 01 xx xx), e-mail addresses end in ``.example``; 115 is the real number.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from maillage.organisations.models import Organisation
from maillage.territory.models import Commune, Department

from ... import enums, services
from ...models import Project, Referent, Service, Structure

FR = enums.ServiceKind.FRENCH_COURSE

# Themes (data·inclusion v1)
EMPLOI = "trouver-un-emploi--repondre-a-des-offres-demploi"
CANDIDATURE = "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi"
CV = "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"
METIER = "choisir-un-metier--connaitre-les-opportunites-demploi"
FORMATION = "se-former--trouver-sa-formation"
DEMARCHES = "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
DROITS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
CITOYENNETE = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete"
JUSTICE = "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire"
DISCRIMINATION = "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination"
FRANCAIS = "lecture-ecriture-calcul--maitriser-le-francais"
CALCUL = "lecture-ecriture-calcul--maitriser-le-calcul"
SOINS = "sante--acces-aux-soins"
SANTE_MENTALE = "sante--sante-mentale"
HEBERGEMENT = "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"
LOGEMENT_INFO = "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"
ALIMENTATION = "equipement-et-alimentation--alimentation"
HABILLEMENT = "equipement-et-alimentation--habillement"
PARENTALITE = "famille--soutien-a-la-parentalite-et-a-leducation"
GARDE = "famille--garde-denfants"
LIEN_SOCIAL = "remobilisation--lien-social"
NUMERIQUE = "numerique--acceder-a-des-services-en-ligne"
NUMERIQUE_BASES = "numerique--maitriser-les-fondamentaux-du-numerique"
BUDGET = "difficultes-financieres--ameliorer-sa-gestion-budgetaire"
MOBILITE = "mobilite--etre-accompagne-dans-son-parcours-mobilite"

# Communes (INSEE)
LILLE, ROUBAIX, TOURCOING, VILLENEUVE = "59350", "59512", "59599", "59009"
ARRAS, LENS, CALAIS, BOULOGNE = "62041", "62498", "62193", "62160"

ROMA_LANGUAGES = ["fr", "ro", "bg", "rom"]
EXILE_LANGUAGES = ["fr", "en", "ar", "prs", "ps", "ti", "so"]
WEEKDAYS = "Mo-Fr 09:00-12:00,14:00-17:00; PH off"


def _phone(n: int) -> str:
    """A number of the range reserved for fiction by the ARCEP (03 53 01 xx xx)."""
    return f"03 53 01 {n // 100:02d} {n % 100:02d}"


def upcoming(*days: int) -> list[str]:
    """Session dates ``days`` from today (the demo stays fresh whenever it is loaded)."""
    today = timezone.localdate()
    return [(today + timedelta(days=d)).isoformat() for d in days]


def S(key: str, name: str, description: str, **fields: Any) -> dict[str, Any]:  # noqa: N802
    return {"key": key, "name": name, "description": description, **fields}


def _structures() -> list[dict[str, Any]]:
    """Structures and their services. ``org`` is the acronym of a demo_data organisation."""
    return [
        {
            "key": "areas",
            "org": "AREAS",
            "name": "AREAS – Pôle Gens du voyage et Roms (La Sauvegarde du Nord)",
            "description": (
                "Le pôle « Gens du voyage et Roms » de l'AREAS, service de La Sauvegarde du Nord, accompagne les "
                "familles roms vivant en bidonville ou en habitat précaire dans la métropole lilloise : accès aux "
                "droits, à la santé, à l'école, à l'emploi et au logement."
            ),
            "address": "44 rue Nicolas Leblanc",
            "commune": LILLE,
            "lat": 50.6275,
            "lng": 3.0570,
            "phone": _phone(101),
            "email": "contact@areas.example",
            "opening_hours": "Mo-Fr 09:00-12:30,13:30-17:00; PH off",
            "services": [
                S(
                    "areas-emploi",
                    "Conseillers emploi en bidonvilles",
                    (
                        "Deux conseillers en insertion professionnelle vont à la rencontre des habitants des "
                        "bidonvilles et des squats de la métropole lilloise. Ils accompagnent vers l'emploi et la "
                        "formation : inscription à France Travail, CV, mise en relation avec des employeurs, suivi "
                        "dans l'emploi. Lancé le 17 mars 2014, à la levée des mesures transitoires pour les "
                        "ressortissants roumains et bulgares : une fois en emploi, les personnes peuvent accéder à un "
                        "logement grâce à leur salaire."
                    ),
                    thematiques=[EMPLOI, CANDIDATURE, METIER, FORMATION],
                    types=["accompagnement"],
                    publics=["personnes-en-situation-durgence", "demandeurs-emploi", "personnes-exilees"],
                    access_conditions=(
                        "Habiter un bidonville, un squat ou un habitat précaire de la métropole lilloise."
                    ),
                    fees="gratuit",
                    languages=ROMA_LANGUAGES,
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner", "se-presenter"],
                    referral_by=["usagers", "professionnels"],
                    referral_details=(
                        "Visites sur les terrains chaque semaine ; entretiens individuels dans les locaux de l'AREAS. "
                        "Les travailleurs sociaux peuvent orienter par téléphone."
                    ),
                    documents_to_bring="Pièce d'identité ou passeport, CV s'il existe, attestation de domiciliation.",
                    eligibility_zone=["59"],
                    contact_name="Équipe insertion professionnelle",
                ),
                S(
                    "areas-acces-droits",
                    "Accompagnement social des familles en habitat précaire",
                    (
                        "Une équipe de travailleurs sociaux accompagne les familles dans leurs démarches : "
                        "domiciliation, ouverture des droits (CAF, assurance maladie), scolarisation des enfants, "
                        "suivi de santé."
                    ),
                    thematiques=[DROITS, DEMARCHES, PARENTALITE],
                    types=["accompagnement"],
                    publics=["familles", "personnes-en-situation-durgence"],
                    fees="gratuit",
                    languages=ROMA_LANGUAGES,
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels", "usagers"],
                    documents_to_bring="Tous les papiers en votre possession, même périmés.",
                    eligibility_zone=["59"],
                ),
                S(
                    "areas-asl",
                    "Atelier sociolinguistique pour les familles",
                    (
                        "Apprendre le français de la vie quotidienne (école, santé, démarches) en petit groupe, au "
                        "plus près des lieux de vie. Les enfants sont gardés pendant l'atelier."
                    ),
                    kind=FR,
                    course_type=enums.CourseType.LITERACY,
                    levels=["A0", "A1.1"],
                    schedule="Mardi et jeudi, 14 h – 16 h 30",
                    childcare=True,
                    next_sessions=upcoming(12, 54),
                    weekly_hours=5,
                    weeks=12,
                    thematiques=[FRANCAIS, LIEN_SOCIAL],
                    types=["atelier"],
                    publics=["familles", "femmes", "personnes-exilees"],
                    fees="gratuit",
                    languages=ROMA_LANGUAGES,
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter", "telephoner"],
                    referral_by=["usagers", "professionnels"],
                    opening_hours="Tu,Th 14:00-16:30; PH off",
                ),
            ],
        },
        {
            "key": "ccas-lille",
            "org": "CCAS Lille",
            "name": "CCAS de Lille – Accueil social",
            "description": "Le centre communal d'action sociale de la ville de Lille.",
            "address": "Place Augustin Laurent",
            "commune": LILLE,
            "lat": 50.6312,
            "lng": 3.0700,
            "phone": _phone(110),
            "email": "accueil@ccas-lille.example",
            "opening_hours": "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
            "services": [
                S(
                    "ccas-lille-domiciliation",
                    "Domiciliation administrative",
                    (
                        "Une adresse pour recevoir son courrier et faire valoir ses droits (CAF, assurance maladie, "
                        "inscription scolaire, France Travail), pour les personnes sans domicile stable ayant un lien "
                        "avec la commune. L'attestation d'élection de domicile est valable un an."
                    ),
                    thematiques=[DEMARCHES, DROITS],
                    types=["accompagnement"],
                    publics=["personnes-en-situation-durgence", "tous-publics"],
                    access_conditions="Ne pas avoir de domicile stable et avoir un lien avec Lille.",
                    fees="gratuit",
                    languages=["fr", "en"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers", "professionnels"],
                    documents_to_bring=(
                        "Pièce d'identité (ou tout document d'identité), justificatif du lien avec Lille."
                    ),
                    opening_hours="Mo,Tu,Th,Fr 08:30-12:00; PH off",
                    waiting_days=7,
                ),
                S(
                    "ccas-lille-aides",
                    "Aides facultatives et accompagnement budgétaire",
                    "Aides d'urgence, secours alimentaires et accompagnement budgétaire par un travailleur social.",
                    thematiques=[BUDGET, ALIMENTATION],
                    types=["aide-financiere", "accompagnement"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner", "se-presenter"],
                    referral_by=["usagers", "professionnels"],
                ),
            ],
        },
        {
            "key": "chu-lille-pass",
            "org": None,
            "name": "CHU de Lille – Permanence d'accès aux soins de santé (PASS)",
            "description": "La PASS de l'hôpital Claude-Huriez accueille les personnes sans couverture maladie.",
            "address": "Rue Michel Polonovski, hôpital Claude-Huriez",
            "commune": LILLE,
            "lat": 50.6106,
            "lng": 3.0343,
            "phone": _phone(120),
            "opening_hours": "Mo-Fr 08:30-16:30; PH off",
            "website": "https://www.chu-lille.fr",
            "services": [
                S(
                    "pass-chu-lille",
                    "PASS générale : consultations sans couverture maladie",
                    (
                        "Consultations médicales, soins infirmiers, médicaments et ouverture des droits à l'assurance "
                        "maladie (PUMa, complémentaire santé solidaire, AME) pour les personnes qui n'ont pas de "
                        "couverture ou une couverture incomplète."
                    ),
                    thematiques=[SOINS, DROITS],
                    types=["accompagnement"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr", "en"],
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter", "telephoner"],
                    referral_by=["usagers", "professionnels"],
                    documents_to_bring="Pièce d'identité si vous en avez une, ordonnances et résultats d'examens.",
                ),
                S(
                    "pass-chu-lille-dentaire",
                    "PASS dentaire",
                    "Soins dentaires pour les personnes sans couverture maladie, sur rendez-vous après la PASS "
                    "générale.",
                    thematiques=[SOINS],
                    types=["accompagnement"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr"],
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels"],
                    opening_hours="Mo,We,Fr 09:00-12:00; PH off",
                ),
            ],
        },
        _france_travail("lille", "France Travail Lille Centre", "Rue Gustave Delory", LILLE, 50.6349, 3.0633),
        _france_travail("roubaix", "France Travail Roubaix", "Boulevard de Belfort", ROUBAIX, 50.6875, 3.1815),
        _france_travail("lens", "France Travail Lens", "Rue Émile Zola", LENS, 50.4310, 2.8300),
        _france_travail("calais", "France Travail Calais", "Boulevard Jacquard", CALAIS, 50.9490, 1.8560),
        {
            "key": "caf-nord-lille",
            "org": "CAF 59",
            "name": "CAF du Nord – Accueil de Lille",
            "description": "Accueil de la caisse d'allocations familiales du Nord.",
            "address": "82 rue Brûle Maison",
            "commune": LILLE,
            "lat": 50.6290,
            "lng": 3.0530,
            "phone": _phone(140),
            "opening_hours": "Mo-Fr 08:30-16:00; PH off",
            "services": [
                _caf_service("caf-lille-droits", ["fr", "en"]),
                S(
                    "caf-lille-numerique",
                    "Point numérique CAF : faire ses démarches en ligne",
                    "Un conseiller aide à créer son espace en ligne, déclarer ses ressources et suivre son dossier.",
                    thematiques=[NUMERIQUE, DEMARCHES],
                    types=["accompagnement"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers"],
                ),
            ],
        },
        {
            "key": "caf-nord-roubaix",
            "org": "CAF 59",
            "name": "CAF du Nord – Accueil de Roubaix",
            "address": "Rue du Caire",
            "commune": ROUBAIX,
            "lat": 50.6930,
            "lng": 3.1760,
            "phone": _phone(141),
            "opening_hours": "Mo-Th 08:30-12:00,13:00-16:00; PH off",
            "services": [_caf_service("caf-roubaix-droits", ["fr", "ar"])],
        },
        {
            "key": "caf-pdc-arras",
            "org": None,
            "name": "CAF du Pas-de-Calais – Accueil d'Arras",
            "address": "Rue de la Paix",
            "commune": ARRAS,
            "lat": 50.2890,
            "lng": 2.7780,
            "phone": _phone(142),
            "opening_hours": "Mo-Fr 08:30-12:00,13:30-16:00; PH off",
            "services": [_caf_service("caf-arras-droits", ["fr"])],
        },
        {
            "key": "ofii-lille",
            "org": "OFII Lille",
            "name": "OFII – Direction territoriale de Lille",
            "description": (
                "L'Office français de l'immigration et de l'intégration accueille les étrangers primo-arrivants admis "
                "au séjour et leur propose le contrat d'intégration républicaine (CIR)."
            ),
            "address": "2 rue de Tenremonde",
            "commune": LILLE,
            "lat": 50.6380,
            "lng": 3.0590,
            "phone": _phone(150),
            "opening_hours": "Mo-Fr 09:00-12:00,13:30-16:30; PH off",
            "services": [
                S(
                    "ofii-cir",
                    "Contrat d'intégration républicaine (CIR) : accueil et entretien",
                    (
                        "Entretien personnalisé, signature du CIR, test de positionnement en français, orientation "
                        "vers la formation civique, la formation linguistique et l'accompagnement vers l'emploi."
                    ),
                    thematiques=[CITOYENNETE, DROITS],
                    types=["accompagnement", "information"],
                    publics=["personnes-exilees"],
                    access_conditions="Étrangers primo-arrivants admis au séjour, sur convocation de l'OFII.",
                    fees="gratuit",
                    languages=["fr", "en", "ar", "ru"],
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["usagers"],
                    documents_to_bring="Convocation, titre de séjour, passeport.",
                    eligibility_zone=["59", "62"],
                ),
                S(
                    "ofii-cir-francais",
                    "Formation linguistique du CIR",
                    (
                        "Parcours de français prescrit par l'OFII après le test de positionnement (100, 200 ou 400 "
                        "heures), pour atteindre le niveau A1, puis A2 et B1."
                    ),
                    kind=FR,
                    course_type=enums.CourseType.OFII_CIR,
                    levels=["A1", "A2", "B1"],
                    schedule="Du lundi au vendredi, en journée ou en soirée selon les organismes de formation",
                    childcare=False,
                    next_sessions=upcoming(7, 21, 35),
                    weekly_hours=12,
                    thematiques=[FRANCAIS, CITOYENNETE],
                    types=["formation"],
                    publics=["personnes-exilees"],
                    access_conditions="Signataires du contrat d'intégration républicaine, sur prescription de l'OFII.",
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel", "a-distance"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels"],
                    eligibility_zone=["59", "62"],
                ),
            ],
        },
        _point_justice("cdad59-lille", "Point-justice de Lille", "Avenue du Peuple Belge", LILLE, 50.6410, 3.0650, 160),
        _point_justice(
            "cdad59-roubaix", "Point-justice de Roubaix", "Rue de l'Hommelet", ROUBAIX, 50.6960, 3.1800, 161
        ),
        _point_justice(
            "cdad62-arras", "Point-justice d'Arras", "Place des Etats d'Artois", ARRAS, 50.2920, 2.7760, 162
        ),
        _point_justice("cdad62-calais", "Point-justice de Calais", "Rue du Pont Lottin", CALAIS, 50.9530, 1.8600, 163),
        {
            "key": "casnav-lille",
            "org": None,
            "name": "CASNAV de l'académie de Lille",
            "description": (
                "Centre académique pour la scolarisation des enfants allophones nouvellement arrivés et des enfants "
                "issus de familles itinérantes et de voyageurs."
            ),
            "address": "144 rue de Bavay",
            "commune": LILLE,
            "lat": 50.6200,
            "lng": 3.0750,
            "phone": _phone(170),
            "opening_hours": WEEKDAYS,
            "services": [
                S(
                    "casnav-eana",
                    "Scolarisation des élèves allophones nouvellement arrivés",
                    (
                        "Évaluation des acquis dans la langue d'origine et en français, puis affectation dans une "
                        "école ou un collège avec une unité pédagogique pour élèves allophones (UPE2A). Les familles "
                        "vivant en bidonville ou en squat y ont droit comme toutes les autres : l'inscription scolaire "
                        "ne peut pas être refusée faute de domicile."
                    ),
                    thematiques=[PARENTALITE, DROITS],
                    types=["accompagnement", "information"],
                    publics=["familles", "jeunes"],
                    fees="gratuit",
                    languages=["fr", "en", "ro", "bg"],
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner", "envoyer-un-courriel"],
                    referral_by=["professionnels", "usagers"],
                    documents_to_bring="Pièce d'identité de l'enfant, carnet de vaccinations, attestation de domicile.",
                    eligibility_zone=["59", "62"],
                ),
                S(
                    "casnav-voyageurs",
                    "Scolarisation des enfants de familles itinérantes",
                    "Conseil aux écoles et aux familles, suivi de la scolarité, lien avec le CNED.",
                    thematiques=[PARENTALITE],
                    types=["accompagnement"],
                    publics=["familles", "jeunes"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel", "a-distance"],
                    referral_modes=["envoyer-un-courriel"],
                    referral_by=["professionnels"],
                ),
            ],
        },
        {
            "key": "siao-59",
            "org": None,
            "name": "SIAO du Nord – 115",
            "description": "Service intégré d'accueil et d'orientation du Nord : hébergement d'urgence et d'insertion.",
            "commune": LILLE,
            "lat": 50.6360,
            "lng": 3.0480,
            "phone": "115",
            "opening_hours": "24/7",
            "services": [_emergency_115("siao-59-115", "59")],
        },
        {
            "key": "siao-62",
            "org": None,
            "name": "SIAO du Pas-de-Calais – 115",
            "description": "Service intégré d'accueil et d'orientation du Pas-de-Calais.",
            "commune": ARRAS,
            "lat": 50.2950,
            "lng": 2.7700,
            "phone": "115",
            "opening_hours": "24/7",
            "services": [_emergency_115("siao-62-115", "62")],
        },
        _restos("lille", "Restos du cœur – Centre de Lille Moulins", "Rue d'Arras", LILLE, 50.6200, 3.0660),
        _restos("roubaix", "Restos du cœur – Centre de Roubaix", "Rue de l'Épeule", ROUBAIX, 50.6880, 3.1620),
        _restos("tourcoing", "Restos du cœur – Centre de Tourcoing", "Rue de Lille", TOURCOING, 50.7190, 3.1580),
        _restos("lens", "Restos du cœur – Centre de Lens", "Rue de Lille", LENS, 50.4350, 2.8250),
        _restos(
            "boulogne", "Restos du cœur – Centre de Boulogne-sur-Mer", "Rue de Brequerecque", BOULOGNE, 50.7200, 1.6140
        ),
        {
            "key": "cs-roubaix",
            "org": None,
            "name": "Centre social du Pile (Roubaix)",
            "description": "Centre social de quartier : accueil, familles, jeunesse, ateliers de français.",
            "address": "Rue de Condé",
            "commune": ROUBAIX,
            "lat": 50.6860,
            "lng": 3.1900,
            "phone": _phone(180),
            "opening_hours": "Mo-Fr 09:00-12:00,13:30-18:00; PH off",
            "services": [
                S(
                    "cs-roubaix-asl",
                    "Ateliers sociolinguistiques (ASL)",
                    (
                        "Apprendre le français pour être autonome au quotidien : parler avec l'école, le médecin, la "
                        "mairie, prendre les transports. Garde d'enfants assurée par la halte-garderie du centre."
                    ),
                    kind=FR,
                    course_type=enums.CourseType.FLI,
                    levels=["A1.1", "A1", "A2"],
                    schedule="Lundi et jeudi 9 h – 11 h 30 (A1.1, A1) ; mardi 14 h – 16 h (A2)",
                    childcare=True,
                    next_sessions=upcoming(5, 96),
                    weekly_hours=5,
                    weeks=30,
                    thematiques=[FRANCAIS, LIEN_SOCIAL, PARENTALITE],
                    types=["atelier"],
                    publics=["familles", "femmes", "personnes-exilees"],
                    fees="payant",
                    fees_details="Adhésion au centre social : 5 € par an.",
                    languages=["fr", "ar"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers", "professionnels"],
                    opening_hours="Mo,Th 09:00-11:30; Tu 14:00-16:00; PH off",
                    capacity=15,
                ),
            ],
        },
        {
            "key": "tourcoing-alpha",
            "org": None,
            "name": "Association Lire et Dire (Tourcoing)",
            "description": "Association d'éducation populaire : alphabétisation et français pour adultes.",
            "address": "Rue des Anges",
            "commune": TOURCOING,
            "lat": 50.7220,
            "lng": 3.1560,
            "phone": _phone(181),
            "email": "accueil@liretdire.example",
            "services": [
                S(
                    "tourcoing-alpha",
                    "Alphabétisation pour adultes",
                    "Apprendre à lire, écrire et compter en français, pour les adultes peu ou pas scolarisés.",
                    kind=FR,
                    course_type=enums.CourseType.LITERACY,
                    levels=["A0", "A1.1"],
                    schedule="Lundi, mercredi et vendredi, 9 h 30 – 11 h 30",
                    childcare=False,
                    next_sessions=upcoming(19),
                    weekly_hours=6,
                    weeks=36,
                    thematiques=[FRANCAIS, CALCUL],
                    types=["formation"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr", "ar", "tr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter", "telephoner"],
                    referral_by=["usagers", "professionnels"],
                    opening_hours="Mo,We,Fr 09:30-11:30; PH off",
                    capacity=12,
                ),
            ],
        },
        {
            "key": "villeneuve-cs",
            "org": None,
            "name": "Maison des associations de Villeneuve-d'Ascq",
            "address": "Rue Jean Jaurès",
            "commune": VILLENEUVE,
            "lat": 50.6190,
            "lng": 3.1420,
            "phone": _phone(182),
            "opening_hours": WEEKDAYS,
            "services": [
                S(
                    "villeneuve-fle-soir",
                    "Cours de français langue étrangère du soir",
                    "Cours de FLE en soirée pour les personnes qui travaillent ou suivent une formation.",
                    kind=FR,
                    course_type=enums.CourseType.FLE,
                    levels=["A2", "B1"],
                    schedule="Mardi et jeudi, 18 h 30 – 20 h 30",
                    childcare=False,
                    next_sessions=upcoming(26, 117),
                    weekly_hours=4,
                    weeks=15,
                    thematiques=[FRANCAIS, FORMATION],
                    types=["formation"],
                    publics=["actifs", "personnes-exilees"],
                    fees="payant",
                    fees_details="30 € par trimestre, gratuit pour les demandeurs d'emploi.",
                    languages=["fr", "en"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["envoyer-un-courriel", "se-presenter"],
                    referral_by=["usagers"],
                    opening_hours="Tu,Th 18:30-20:30; PH off",
                ),
                S(
                    "villeneuve-numerique",
                    "Permanence numérique",
                    "Aide pour les démarches en ligne : ANTS, impôts, assurance maladie, France Travail.",
                    thematiques=[NUMERIQUE, NUMERIQUE_BASES],
                    types=["accompagnement"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers"],
                    opening_hours="We 14:00-17:00; PH off",
                ),
            ],
        },
        {
            "key": "arras-fle",
            "org": None,
            "name": "Association Parlons Ensemble (Arras)",
            "address": "Rue Saint-Aubert",
            "commune": ARRAS,
            "lat": 50.2910,
            "lng": 2.7730,
            "phone": _phone(183),
            "email": "contact@parlons-ensemble.example",
            "services": [
                S(
                    "arras-fle",
                    "Cours de français (FLE) pour adultes",
                    "Cours collectifs de français à l'oral et à l'écrit, en petits groupes de niveau.",
                    kind=FR,
                    course_type=enums.CourseType.FLE,
                    levels=["A1", "A2"],
                    schedule="Lundi et mercredi, 14 h – 16 h",
                    childcare=True,
                    next_sessions=upcoming(9, 65),
                    weekly_hours=4,
                    weeks=24,
                    thematiques=[FRANCAIS],
                    types=["formation"],
                    publics=["personnes-exilees", "tous-publics"],
                    fees="gratuit",
                    languages=["fr", "uk", "ru", "prs"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner", "se-presenter"],
                    referral_by=["usagers", "professionnels"],
                    opening_hours="Mo,We 14:00-16:00; PH off",
                    capacity=18,
                ),
            ],
        },
        {
            "key": "lens-fli",
            "org": None,
            "name": "Centre de formation Artois Compétences (Lens)",
            "address": "Rue Paul Bert",
            "commune": LENS,
            "lat": 50.4300,
            "lng": 2.8340,
            "phone": _phone(184),
            "opening_hours": WEEKDAYS,
            "services": [
                S(
                    "lens-fli",
                    "Français langue d'intégration à visée professionnelle",
                    (
                        "Parcours de français tourné vers l'emploi : vocabulaire des métiers, stage en entreprise, "
                        "préparation du DELF. Pour des personnes primo-arrivantes ayant terminé le CIR."
                    ),
                    kind=FR,
                    course_type=enums.CourseType.FLI,
                    levels=["A2", "B1"],
                    schedule="Du lundi au jeudi, 9 h – 12 h, et un stage de deux semaines",
                    childcare=False,
                    next_sessions=upcoming(33),
                    weekly_hours=12,
                    weeks=16,
                    thematiques=[FRANCAIS, FORMATION, EMPLOI],
                    types=["formation"],
                    publics=["personnes-exilees", "demandeurs-emploi"],
                    fees="gratuit",
                    fees_details="Financé par la DDETS du Pas-de-Calais.",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels"],
                    referral_details="Sur orientation de France Travail, de l'OFII ou d'un travailleur social.",
                    eligibility_zone=["62"],
                ),
            ],
        },
        {
            "key": "calais-accueil",
            "org": None,
            "name": "Accueil de jour des exilés (Calais)",
            "description": "Accueil de jour associatif pour les personnes exilées de passage à Calais.",
            "address": "Rue de Moscou",
            "commune": CALAIS,
            "lat": 50.9480,
            "lng": 1.8700,
            "phone": _phone(185),
            "opening_hours": "Mo-Sa 10:00-17:00",
            "services": [
                S(
                    "calais-accueil-jour",
                    "Accueil de jour : douches, repas, information sur les droits",
                    "Douches, lessive, repas chaud, recharge de téléphone et information sur la demande d'asile.",
                    thematiques=[ALIMENTATION, HABILLEMENT, DROITS],
                    types=["aide-materielle", "information"],
                    publics=["personnes-exilees", "personnes-en-situation-durgence"],
                    fees="gratuit",
                    languages=EXILE_LANGUAGES,
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers"],
                ),
                S(
                    "calais-fle",
                    "Cours de français pour les personnes exilées",
                    "Cours de français débutant, sans inscription, ouverts à toutes et à tous.",
                    kind=FR,
                    course_type=enums.CourseType.FLE,
                    levels=["A0", "A1.1"],
                    schedule="Du lundi au vendredi, 10 h 30 – 12 h",
                    childcare=False,
                    next_sessions=[],
                    thematiques=[FRANCAIS],
                    types=["atelier"],
                    publics=["personnes-exilees"],
                    fees="gratuit",
                    languages=EXILE_LANGUAGES,
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers"],
                    opening_hours="Mo-Fr 10:30-12:00",
                ),
            ],
        },
        {
            "key": "ccas-boulogne",
            "org": None,
            "name": "CCAS de Boulogne-sur-Mer",
            "address": "Rue Félix Adam",
            "commune": BOULOGNE,
            "lat": 50.7260,
            "lng": 1.6100,
            "phone": _phone(186),
            "opening_hours": "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
            "services": [
                S(
                    "ccas-boulogne-domiciliation",
                    "Domiciliation administrative",
                    "Élection de domicile pour les personnes sans domicile stable ayant un lien avec Boulogne-sur-Mer.",
                    thematiques=[DEMARCHES, DROITS],
                    types=["accompagnement"],
                    publics=["personnes-en-situation-durgence"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["se-presenter"],
                    referral_by=["usagers", "professionnels"],
                    documents_to_bring="Pièce d'identité.",
                ),
            ],
        },
        {
            "key": "sante-roubaix",
            "org": None,
            "name": "Réseau santé précarité de Roubaix",
            "address": "Rue de Lannoy",
            "commune": ROUBAIX,
            "lat": 50.6900,
            "lng": 3.1850,
            "phone": _phone(187),
            "opening_hours": WEEKDAYS,
            "services": [
                S(
                    "sante-roubaix-mediation",
                    "Médiation en santé sur les lieux de vie",
                    (
                        "Une médiatrice en santé parlant roumain accompagne vers les soins, l'ouverture des droits à "
                        "l'assurance maladie, la vaccination et le suivi de grossesse."
                    ),
                    thematiques=[SOINS, DROITS],
                    types=["accompagnement"],
                    publics=["familles", "femmes", "personnes-en-situation-durgence"],
                    fees="gratuit",
                    languages=["fr", "ro", "rom"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels", "usagers"],
                ),
                S(
                    "sante-roubaix-psy",
                    "Consultation de psychotraumatisme pour les personnes exilées",
                    "Consultations avec interprète pour les personnes ayant vécu des violences.",
                    thematiques=[SANTE_MENTALE],
                    types=["accompagnement"],
                    publics=["personnes-exilees"],
                    fees="gratuit",
                    languages=["fr", "en"],
                    interpreters=True,
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels"],
                    waiting_days=30,
                ),
            ],
        },
        {
            "key": "adil-59",
            "org": None,
            "name": "ADIL du Nord – Information logement",
            "address": "Rue Nationale",
            "commune": LILLE,
            "lat": 50.6340,
            "lng": 3.0560,
            "phone": _phone(188),
            "opening_hours": "Mo-Fr 09:00-12:00,13:30-17:00; PH off",
            "services": [
                S(
                    "adil-59-info",
                    "Information sur l'accès au logement",
                    "Conseils juridiques gratuits sur la location, la demande de logement social et le DALO.",
                    thematiques=[LOGEMENT_INFO],
                    types=["information"],
                    publics=["tous-publics"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel", "a-distance"],
                    referral_modes=["telephoner", "se-presenter"],
                    referral_by=["usagers", "professionnels"],
                ),
            ],
        },
        {
            "key": "mobilite-lens",
            "org": None,
            "name": "Plateforme mobilité de l'Artois",
            "address": "Boulevard Basly",
            "commune": LENS,
            "lat": 50.4340,
            "lng": 2.8220,
            "phone": _phone(189),
            "services": [
                S(
                    "mobilite-lens",
                    "Accompagnement à la mobilité vers l'emploi",
                    "Diagnostic mobilité, code de la route, location de vélos et de scooters pour aller travailler.",
                    thematiques=[MOBILITE, EMPLOI],
                    types=["accompagnement"],
                    publics=["demandeurs-emploi", "beneficiaires-des-minimas-sociaux"],
                    fees="gratuit",
                    languages=["fr"],
                    reception_modes=["en-presentiel"],
                    referral_modes=["telephoner"],
                    referral_by=["professionnels"],
                    opening_hours=WEEKDAYS,
                ),
            ],
        },
    ]


def _france_travail(key: str, name: str, address: str, commune: str, lat: float, lng: float) -> dict[str, Any]:
    return {
        "key": f"ft-{key}",
        "org": "France Travail",
        "name": name,
        "description": "Agence France Travail : inscription, indemnisation et accompagnement vers l'emploi.",
        "address": address,
        "commune": commune,
        "lat": lat,
        "lng": lng,
        "phone": "3949",
        "website": "https://www.francetravail.fr",
        "opening_hours": "Mo-We,Fr 08:30-12:30,13:30-16:30; Th 08:30-12:30; PH off",
        "services": [
            S(
                f"ft-{key}-accompagnement",
                "Inscription et accompagnement vers l'emploi",
                (
                    "Inscription comme demandeur d'emploi, ouverture des droits à l'allocation, conseiller référent, "
                    "offres d'emploi et formations. Les ressortissants européens ont accès au marché du travail sans "
                    "autorisation."
                ),
                thematiques=[EMPLOI, CANDIDATURE, FORMATION],
                types=["accompagnement"],
                publics=["demandeurs-emploi", "jeunes", "tous-publics"],
                fees="gratuit",
                languages=["fr", "en"],
                reception_modes=["en-presentiel", "a-distance"],
                referral_modes=["telephoner", "utiliser-lien-mobilisation", "se-presenter"],
                referral_by=["usagers", "professionnels"],
                referral_url="https://www.francetravail.fr/candidat/inscription",
                documents_to_bring="Pièce d'identité, carte Vitale ou attestation, RIB, CV.",
            ),
        ],
    }


def _caf_service(key: str, languages: list[str]) -> dict[str, Any]:
    return S(
        key,
        "Ouverture des droits aux prestations (RSA, allocations familiales, aides au logement)",
        (
            "Rendez-vous avec un conseiller pour ouvrir ses droits, comprendre un courrier ou une dette, et déclarer "
            "un changement de situation."
        ),
        thematiques=[DROITS, DEMARCHES],
        types=["accompagnement", "information"],
        publics=["familles", "beneficiaires-des-minimas-sociaux", "tous-publics"],
        fees="gratuit",
        languages=languages,
        reception_modes=["en-presentiel", "a-distance"],
        referral_modes=["telephoner", "utiliser-lien-mobilisation"],
        referral_by=["usagers", "professionnels"],
        referral_url="https://www.caf.fr",
        documents_to_bring="Pièce d'identité, numéro d'allocataire, attestation de domiciliation, RIB.",
    )


def _point_justice(key: str, name: str, address: str, commune: str, lat: float, lng: float, n: int) -> dict[str, Any]:
    department = commune[:2]
    return {
        "key": key,
        "org": None,
        "name": f"{name} (CDAD {'du Nord' if department == '59' else 'du Pas-de-Calais'})",
        "description": "Lieu d'accès au droit du conseil départemental de l'accès au droit (CDAD).",
        "address": address,
        "commune": commune,
        "lat": lat,
        "lng": lng,
        "phone": _phone(n),
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        "services": [
            S(
                f"{key}-consultations",
                "Consultations juridiques gratuites",
                (
                    "Avocats, juristes et associations informent gratuitement sur vos droits : séjour, travail, "
                    "logement, famille, expulsion d'un terrain, discriminations. Aide pour demander l'aide "
                    "juridictionnelle."
                ),
                thematiques=[JUSTICE, DROITS, DISCRIMINATION],
                types=["information"],
                publics=["tous-publics"],
                fees="gratuit",
                languages=["fr"],
                interpreters=department == "59",
                reception_modes=["en-presentiel"],
                referral_modes=["telephoner"],
                referral_by=["usagers", "professionnels"],
                referral_details="Sur rendez-vous.",
                eligibility_zone=[department],
            ),
        ],
    }


def _emergency_115(key: str, department: str) -> dict[str, Any]:
    return S(
        key,
        "Hébergement d'urgence : appeler le 115",
        (
            "Le 115 est le numéro gratuit de l'urgence sociale, joignable jour et nuit. Il oriente vers une place "
            "d'hébergement d'urgence, une maraude ou un accueil de jour. Le SIAO instruit aussi les demandes "
            "d'hébergement d'insertion, sur dossier d'un travailleur social."
        ),
        thematiques=[HEBERGEMENT],
        types=["accompagnement", "information"],
        publics=["personnes-en-situation-durgence", "tous-publics"],
        fees="gratuit",
        languages=["fr", "en"],
        interpreters=True,
        reception_modes=["a-distance"],
        referral_modes=["telephoner"],
        referral_by=["usagers", "professionnels"],
        phone="115",
        opening_hours="24/7",
        eligibility_zone=[department],
    )


def _restos(key: str, name: str, address: str, commune: str, lat: float, lng: float) -> dict[str, Any]:
    return {
        "key": f"restos-{key}",
        "org": None,
        "name": name,
        "address": address,
        "commune": commune,
        "lat": lat,
        "lng": lng,
        "website": "https://www.restosducoeur.org",
        "services": [
            S(
                f"restos-{key}-alimentaire",
                "Aide alimentaire",
                (
                    "Distribution de repas et de denrées, sur inscription pour la campagne d'hiver ou d'été. Accueil, "
                    "écoute et orientation vers les droits."
                ),
                thematiques=[ALIMENTATION],
                types=["aide-materielle"],
                publics=["tous-publics"],
                fees="gratuit",
                languages=["fr"],
                reception_modes=["en-presentiel"],
                referral_modes=["se-presenter"],
                referral_by=["usagers", "professionnels"],
                documents_to_bring=(
                    "Pièce d'identité et justificatifs de ressources (ou une attestation sur l'honneur)."
                ),
                opening_hours="Tu,Th 09:00-11:30; PH off",
            ),
        ],
    }


REFERENTS: list[dict[str, Any]] = [
    {
        "org": "DDETS 59",
        "name": "Camille Roussel",
        "role": enums.ReferentRole.INTEGRATION,
        "role_details": "Référente départementale intégration du Nord, animatrice du comité départemental intégration",
        "departments": ["59"],
        "email": "integration@ddets59.example",
        "phone": _phone(201),
        "languages": ["fr", "en"],
    },
    {
        "org": "DDETS 62",
        "name": "Thomas Leclercq",
        "role": enums.ReferentRole.INTEGRATION,
        "role_details": "Référent départemental intégration du Pas-de-Calais",
        "departments": ["62"],
        "email": "integration@ddets62.example",
        "phone": _phone(202),
        "languages": ["fr"],
    },
    {
        "org": "Préfecture HdF",
        "name": "Hélène Vasseur",
        "role": enums.ReferentRole.ROMA_INCLUSION,
        "role_details": "Correspondante régionale pour l'inclusion des Roms et la résorption des bidonvilles",
        "departments": ["59", "62"],
        "email": "inclusion-roms@prefecture-hdf.example",
        "phone": _phone(203),
        "languages": ["fr", "ro"],
    },
    {
        "org": "DDETS 59",
        "name": "Karim Haddad",
        "role": enums.ReferentRole.SHANTYTOWN_RESORPTION,
        "role_details": "Chargé de mission résorption des bidonvilles de la métropole lilloise",
        "departments": ["59"],
        "email": "bidonvilles@ddets59.example",
        "phone": _phone(204),
        "languages": ["fr", "ar"],
    },
    {
        "org": "AREAS",
        "name": "Ioana Marinescu",
        "role": enums.ReferentRole.EMPLOYMENT,
        "role_details": "Conseillère en insertion professionnelle, programme emploi en bidonvilles",
        "departments": ["59"],
        "email": "emploi@areas.example",
        "phone": _phone(205),
        "languages": ["fr", "ro", "rom"],
        "structure": "areas",
    },
    {
        "org": "AREAS",
        "name": "Lucie Fontaine",
        "role": enums.ReferentRole.SCHOOLING,
        "role_details": "Médiatrice scolaire sur les terrains de la métropole lilloise",
        "departments": ["59"],
        "email": "mediation-scolaire@areas.example",
        "phone": _phone(206),
        "languages": ["fr", "ro", "bg"],
        "structure": "areas",
    },
    {
        "org": "CCAS Lille",
        "name": "Nathalie Delattre",
        "role": enums.ReferentRole.DOMICILIATION,
        "role_details": "Responsable du service domiciliation",
        "departments": ["59"],
        "email": "domiciliation@ccas-lille.example",
        "phone": _phone(207),
        "languages": ["fr"],
        "structure": "ccas-lille",
    },
    {
        "org": "OFII Lille",
        "name": "Olivier Mercier",
        "role": enums.ReferentRole.OTHER,
        "role_details": "Référent des bénéficiaires d'une protection internationale (BPI) – accès à l'emploi",
        "departments": ["59", "62"],
        "email": "bpi@ofii-lille.example",
        "phone": _phone(208),
        "languages": ["fr", "en", "ru"],
        "structure": "ofii-lille",
    },
    {
        "org": "CD93",
        "name": "Marc Dumont",
        "role": enums.ReferentRole.ROMA_INCLUSION,
        "role_details": "Coordinateur-formateur « public Roms » du Conseil départemental de la Seine-Saint-Denis",
        "departments": ["93"],
        "email": "coordination-roms@cd93.example",
        "phone": "01 99 00 12 34",
        "languages": ["fr", "ro", "rom"],
    },
]

PROJECTS: list[dict[str, Any]] = [
    {
        "org": "AREAS",
        "title": "Insertion professionnelle des Roms migrants de la métropole lilloise",
        "goal": (
            "Faciliter l'insertion professionnelle des familles roms vivant en bidonville : une fois en emploi, elles "
            "accèdent à un logement grâce à leur salaire."
        ),
        "description": (
            "Depuis le 17 mars 2014, après la levée des mesures transitoires pour l'accès au marché du travail des "
            "Roumains et des Bulgares, deux conseillers en insertion professionnelle de l'unité « Gens du voyage et "
            "Roms » de l'AREAS (La Sauvegarde du Nord) accompagnent les habitants des bidonvilles de Lille et de ses "
            "environs. Outils : visites régulières sur les terrains et dans les habitats précaires, appui de 25 "
            "accueils de jour, entretiens individuels dans les locaux de l'AREAS. Objectifs associés : accès à la "
            "formation, autonomie dans les dispositifs d'emploi, levée des freins sociaux avec l'équipe de "
            "travailleurs sociaux, évolution des parcours professionnels."
        ),
        "public": "Familles roms migrantes vivant en bidonville, en squat ou en habitat précaire.",
        "publics": ["personnes-en-situation-durgence", "demandeurs-emploi"],
        "thematiques": [EMPLOI, FORMATION, CANDIDATURE],
        "departments": ["59"],
        "partners": "France Travail, employeurs de la métropole, accueils de jour, équipe sociale de l'AREAS.",
        "funding": "État (DDETS du Nord), Métropole européenne de Lille.",
        "results": (
            "L'intégration économique s'est révélée être le socle nécessaire de l'intégration sociale ; les premiers "
            "emplois ont permis des sorties de bidonville vers un logement."
        ),
        "evidence_level": enums.EvidenceLevel.EVALUATED,
        "start_year": 2014,
        "contact_name": "Unité Gens du voyage et Roms, AREAS",
        "contact_email": "emploi@areas.example",
    },
    {
        "org": "CD93",
        "title": "Coordination et formation « public Roms » des professionnels de Seine-Saint-Denis",
        "goal": (
            "Favoriser l'accès au droit commun des familles roms en outillant les travailleurs sociaux et les "
            "professionnels du département."
        ),
        "description": (
            "Poste créé en 2008 par le Conseil départemental de la Seine-Saint-Denis et l'association Rues et Cités. "
            "Le coordinateur est une personne ressource : sessions d'information sur les réalités roms (histoire, "
            "société, culture), formations thématiques (protection de l'enfance, santé, école, parentalité, "
            "insertion), appui technique sur des suivis, orientation des professionnels et mise en réseau des "
            "partenaires. Gratuit pour les professionnels du département."
        ),
        "public": "Travailleurs sociaux et professionnels de la Seine-Saint-Denis.",
        "publics": ["tous-publics"],
        "thematiques": [DROITS, PARENTALITE],
        "departments": ["93"],
        "partners": "Association Rues et Cités, services sociaux départementaux, PMI, écoles.",
        "funding": "Conseil départemental de la Seine-Saint-Denis.",
        "results": "Des centaines de professionnels formés ; un réseau de partenaires mobilisable sur les suivis.",
        "evidence_level": enums.EvidenceLevel.REPLICATED,
        "start_year": 2008,
        "contact_name": "Coordination Roms, CD93",
        "contact_email": "coordination-roms@cd93.example",
    },
    {
        "org": "AREAS",
        "title": "Médiation scolaire sur les lieux de vie",
        "goal": "Inscrire et maintenir à l'école les enfants vivant en bidonville ou en squat.",
        "description": (
            "Une médiatrice scolaire va sur les terrains, aide les familles à constituer le dossier d'inscription, "
            "accompagne les premiers jours d'école, fait le lien avec les enseignants, le CASNAV et les services de la "
            "ville (cantine, transport)."
        ),
        "public": "Enfants de 3 à 16 ans vivant en habitat précaire, et leurs parents.",
        "publics": ["familles", "jeunes"],
        "thematiques": [PARENTALITE, DROITS],
        "departments": ["59"],
        "partners": "CASNAV de l'académie de Lille, écoles et collèges, CCAS.",
        "funding": "Délégation interministérielle à l'hébergement et à l'accès au logement (DIHAL).",
        "results": "Hausse du nombre d'enfants inscrits et de l'assiduité ; moins de refus d'inscription.",
        "evidence_level": enums.EvidenceLevel.PROMISING,
        "start_year": 2019,
        "contact_name": "Lucie Fontaine",
        "contact_email": "mediation-scolaire@areas.example",
    },
    {
        "org": "DDETS 62",
        "title": "Médiation en santé auprès des habitants des squats et bidonvilles du bassin minier",
        "goal": "Rapprocher du soin et des droits à l'assurance maladie des personnes qui en sont éloignées.",
        "description": (
            "Des médiatrices en santé, formées et parlant les langues des personnes, accompagnent vers la PASS, les "
            "centres de PMI et la vaccination, et aident à ouvrir les droits (PUMa, complémentaire santé solidaire)."
        ),
        "public": "Habitants des squats et bidonvilles de Lens, Liévin et environs.",
        "publics": ["personnes-en-situation-durgence", "familles"],
        "thematiques": [SOINS, DROITS],
        "departments": ["62"],
        "partners": "ARS Hauts-de-France, PASS des centres hospitaliers, CPAM de l'Artois.",
        "funding": "ARS Hauts-de-France, DDETS du Pas-de-Calais.",
        "results": "Évaluation du programme national de médiation en santé : meilleur recours aux soins.",
        "evidence_level": enums.EvidenceLevel.EVALUATED,
        "start_year": 2020,
        "end_year": 2024,
    },
    {
        "org": "CCAS Lille",
        "title": "Échange de pratiques entre villes de l'Alliance européenne des villes et des régions pour "
        "l'inclusion des Roms",
        "goal": (
            "Partager savoir-faire et expériences d'inclusion des Roms entre villes et régions, et parler d'une seule "
            "voix contre l'exclusion sociale et l'antitsiganisme."
        ),
        "description": (
            "L'Alliance, créée en 2013 par le Congrès des pouvoirs locaux et régionaux du Conseil de l'Europe, "
            "rassemble plus de 120 villes et régions de 27 pays. Visites d'étude, ateliers thématiques (logement, "
            "école, emploi) et base de bonnes pratiques, en lien avec les programmes ROMACT et ROMED."
        ),
        "public": "Élus et agents des collectivités, associations, représentants des communautés roms.",
        "publics": ["tous-publics"],
        "thematiques": [DROITS, DISCRIMINATION],
        "departments": ["59"],
        "partners": "Congrès des pouvoirs locaux et régionaux du Conseil de l'Europe, villes membres de l'Alliance.",
        "funding": "Conseil de l'Europe, Union européenne (programmes ROMACT et ROMED).",
        "evidence_level": enums.EvidenceLevel.PROMISING,
        "start_year": 2013,
        "documents": "https://www.coe.int/fr/web/congress/alliance-of-cities-and-regions-for-roma-inclusion",
    },
]

# Entries shown as "not confirmed for a long time", to demonstrate the warning and the reminders.
STALE_KEYS = {"restos-boulogne-alimentaire", "villeneuve-numerique", "mobilite-lens", "areas-acces-droits"}


class Command(BaseCommand):
    help = "Load the demonstration directory (Nord and Pas-de-Calais); run it after demo_data."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        structures = _structures()
        communes = {s["commune"] for s in structures}
        if Commune.objects.filter(code__in=communes).count() != len(communes):
            raise CommandError("Load the territory first: manage.py load_territory")
        acronyms = {s["org"] for s in structures} | {r["org"] for r in REFERENTS} | {p["org"] for p in PROJECTS}
        acronyms.discard(None)
        organisations = {o.acronym: o for o in Organisation.objects.filter(acronym__in=acronyms)}
        missing = acronyms - set(organisations)
        if missing:
            raise CommandError(
                "Run manage.py demo_data first (organisations missing: " + ", ".join(sorted(missing)) + ")"
            )
        known_departments = set(Department.objects.values_list("code", flat=True))
        counts = {"structures": 0, "services": 0, "referents": 0, "projects": 0}
        by_key: dict[str, Structure] = {}
        stale = timezone.now() - timedelta(days=400)

        for spec in structures:
            spec = dict(spec)
            key, org, service_specs = spec.pop("key"), spec.pop("org"), spec.pop("services")
            source_id = f"demo-{key}"
            structure = Structure.objects.filter(source=enums.LOCAL_SOURCE, source_id=source_id).first()
            if structure is None:
                lat, lng = spec.pop("lat"), spec.pop("lng")
                structure = services.structure_create(
                    actor=None,
                    source_id=source_id,
                    organisation=organisations.get(org) if org else None,
                    latitude=lat,
                    longitude=lng,
                    **spec,
                )
                counts["structures"] += 1
            by_key[key] = structure
            for service_spec in service_specs:
                service_spec = dict(service_spec)
                service_key = service_spec.pop("key")
                service_id = f"demo-{service_key}"
                if Service.objects.filter(source=enums.LOCAL_SOURCE, source_id=service_id).exists():
                    continue
                service = services.service_create(actor=None, structure=structure, source_id=service_id, **service_spec)
                counts["services"] += 1
                if service_key in STALE_KEYS:
                    # Demonstration only: an old confirmation date (not a user's action, not journalled).
                    Service.objects.filter(pk=service.pk).update(confirmed_at=stale, updated_at=stale)

        for spec in REFERENTS:
            spec = dict(spec)
            org = organisations[spec.pop("org")]
            structure_key = spec.pop("structure", None)
            departments = [code for code in spec.pop("departments") if code in known_departments]
            if Referent.objects.filter(organisation=org, name=spec["name"]).exists():
                continue
            services.referent_create(
                actor=None,
                organisation=org,
                structure=by_key.get(structure_key) if structure_key else None,
                departments=departments,
                **spec,
            )
            counts["referents"] += 1

        for spec in PROJECTS:
            spec = dict(spec)
            org = organisations[spec.pop("org")]
            departments = [code for code in spec.pop("departments") if code in known_departments]
            if Project.objects.filter(organisation=org, title=spec["title"]).exists():
                continue
            services.project_create(actor=None, organisation=org, departments=departments, **spec)
            counts["projects"] += 1

        total = Service.objects.filter(source=enums.LOCAL_SOURCE, source_id__startswith="demo-").count()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo directory: {structures} structures, {services} services, {referents} referents and "
                "{projects} projects created ".format(**counts)
                + f"({total} demo services in all)."
            )
        )
