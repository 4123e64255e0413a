"""Generate a realistic fake directory, for benchmarks and demonstrations.

    manage.py generate_directory --services 100000
    manage.py generate_directory --services 5000 --structures 800 --seed 2 --source demo-fake
    manage.py generate_directory --services 100000 --departments 59,62 --replace

Structures and services get French names, data·inclusion themes, publics, fees, modes,
languages and OpenStreetMap opening hours; they are placed in the communes of the loaded
territory referential (weighted by population), a little away from the centroid. A quarter
of the services have no address of their own and inherit their structure's.

Every row carries ``--source`` (``bench`` by default) and ``source_id`` ``<source>-s<n>`` /
``<source>-v<n>``. Running the command again tops the source up to the requested numbers
(nothing is written if it already has them); ``--replace`` deletes that source first. Other
sources are never touched. Nothing is journalled: this is test data, not a user's action.

Speed (100,000 services and 25,000 structures in about 28 s on 2 cores, VACUUM included):
rows go in batches of 5,000, one transaction each, with ``COPY`` (not ``bulk_create``, whose
SQL building cost 4 s of Python per 5,000 services); ``search_text`` is computed in Python
(``indexing.search_text_for``) and ``search_vector`` by PostgreSQL with the indexing
module's own expression (``indexing.VECTOR_SQL``) while the batch is copied from a
temporary table into ``directory_service``: every row and index entry is written once,
where ``refresh_search_vectors()`` after the insert would write them twice (the UPDATE is
not HOT). The statistics are refreshed at the end (``VACUUM (ANALYZE)`` outside a
transaction). Measured with bulk_create + refresh_search_vectors: 118 s. The triggers that
keep ``ServiceSearchIndex`` and ``SearchWord`` (migration directory 0004) add about 0.2 ms a
service (measured on an INSERT of 5,000: 0.48 s without them, 1.51 s with), some 20 s per
100,000 services.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from maillage.territory.models import Commune

from ... import enums
from ...indexing import VECTOR_SQL, search_text_for
from ...models import Service, Structure

BATCH_SIZE = 5000

THEMES = {value for value, _label in enums.THEMATIQUE_CHOICES}


@dataclass(frozen=True)
class Template:
    name: str
    thematiques: tuple[str, ...]
    types: tuple[str, ...]
    description: str
    kind: str = enums.ServiceKind.GENERAL
    course_type: str = ""


T = Template
FRENCH = enums.ServiceKind.FRENCH_COURSE
SERVICES = [
    T(
        "Cours de français langue étrangère (FLE)",
        ("lecture-ecriture-calcul--maitriser-le-francais",),
        ("formation",),
        "Cours collectifs de français pour adultes non francophones, à l'oral et à l'écrit.",
        FRENCH,
        "fle",
    ),
    T(
        "Atelier sociolinguistique",
        ("lecture-ecriture-calcul--maitriser-le-francais", "remobilisation--lien-social"),
        ("atelier",),
        "Apprendre le français à partir des situations de la vie quotidienne : école, santé, transports.",
        FRENCH,
        "fli",
    ),
    T(
        "Alphabétisation pour adultes",
        ("lecture-ecriture-calcul--maitriser-le-francais", "lecture-ecriture-calcul--maitriser-le-calcul"),
        ("formation",),
        "Apprendre à lire, écrire et compter, pour les personnes qui n'ont pas été scolarisées.",
        FRENCH,
        "alphabetisation",
    ),
    T(
        "Aide aux démarches administratives",
        ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
        ("accompagnement",),
        "Aide pour constituer un dossier CAF, CPAM, retraite ou titre de séjour, et comprendre un courrier.",
    ),
    T(
        "Permanence d'accès aux droits",
        (
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
            "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
        ),
        ("information",),
        "Un juriste informe gratuitement sur vos droits : logement, travail, famille, séjour.",
    ),
    T(
        "Domiciliation administrative",
        ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
        ("accompagnement",),
        "Une adresse pour recevoir son courrier et faire valoir ses droits, pour les personnes sans domicile stable.",
    ),
    T(
        "Distribution alimentaire",
        ("equipement-et-alimentation--alimentation",),
        ("aide-materielle",),
        "Colis alimentaires et repas chauds, sur orientation d'un travailleur social.",
    ),
    T(
        "Épicerie solidaire",
        ("equipement-et-alimentation--alimentation", "difficultes-financieres--ameliorer-sa-gestion-budgetaire"),
        ("aide-materielle",),
        "Produits alimentaires et d'hygiène à petit prix, avec des ateliers cuisine et budget.",
    ),
    T(
        "Vestiaire solidaire",
        ("equipement-et-alimentation--habillement",),
        ("aide-materielle",),
        "Vêtements et chaussures pour adultes et enfants, donnés ou vendus à prix symbolique.",
    ),
    T(
        "Accompagnement vers l'emploi",
        (
            "trouver-un-emploi--repondre-a-des-offres-demploi",
            "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        ),
        ("accompagnement",),
        "Un conseiller vous accompagne dans votre projet professionnel et votre recherche d'emploi.",
    ),
    T(
        "Atelier CV et lettre de motivation",
        ("preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",),
        ("atelier",),
        "Rédiger son CV et ses lettres de motivation, préparer un entretien d'embauche.",
    ),
    T(
        "Médiation en santé",
        ("sante--acces-aux-soins",),
        ("accompagnement",),
        "Une médiatrice en santé accompagne vers les soins, l'ouverture des droits à l'assurance maladie et la "
        "vaccination.",
    ),
    T(
        "Permanence d'accès aux soins de santé (PASS)",
        ("sante--acces-aux-soins",),
        ("accompagnement",),
        "Consultations médicales et sociales pour les personnes sans couverture maladie.",
    ),
    T(
        "Consultation psychologique",
        ("sante--sante-mentale",),
        ("accompagnement",),
        "Écoute et soutien psychologique, y compris pour les personnes exilées ayant vécu un traumatisme.",
    ),
    T(
        "Hébergement d'urgence",
        ("logement-hebergement--rechercher-une-solution-dhebergement-temporaire",),
        ("aide-materielle",),
        "Mise à l'abri pour la nuit, sur orientation du 115.",
    ),
    T(
        "Accueil de jour",
        ("logement-hebergement--rechercher-une-solution-dhebergement-temporaire", "remobilisation--lien-social"),
        ("information",),
        "Un lieu pour se poser, prendre une douche, laver son linge et rencontrer un travailleur social.",
    ),
    T(
        "Aide à la recherche de logement",
        (
            "logement-hebergement--louer-un-logement",
            "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
        ),
        ("accompagnement",),
        "Demande de logement social, recherche dans le parc privé, aides à l'installation.",
    ),
    T(
        "Atelier numérique : premiers pas",
        ("numerique--maitriser-les-fondamentaux-du-numerique",),
        ("atelier",),
        "Utiliser un ordinateur ou un smartphone, créer une adresse électronique, naviguer sur internet.",
    ),
    T(
        "Accès libre à internet",
        ("numerique--acceder-a-une-connexion-internet", "numerique--acceder-a-des-services-en-ligne"),
        ("aide-materielle",),
        "Ordinateurs, imprimante et scanner en libre accès, avec un médiateur numérique.",
    ),
    T(
        "Point conseil budget",
        (
            "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
            "difficultes-financieres--situation-dendettement-surendettement",
        ),
        ("accompagnement",),
        "Conseils pour gérer son budget, prévenir les impayés et monter un dossier de surendettement.",
    ),
    T(
        "Soutien à la parentalité",
        ("famille--soutien-a-la-parentalite-et-a-leducation",),
        ("atelier",),
        "Rencontres entre parents, activités parents-enfants et aide aux devoirs.",
    ),
    T(
        "Halte-garderie solidaire",
        ("famille--garde-denfants",),
        ("aide-materielle",),
        "Accueil des jeunes enfants pendant les démarches, formations ou cours de français des parents.",
    ),
    T(
        "Préparation au permis de conduire",
        ("mobilite--preparer-un-permis",),
        ("formation",),
        "Code et conduite à tarif solidaire, pour les personnes en insertion professionnelle.",
    ),
    T(
        "Location solidaire de véhicules",
        ("mobilite--acceder-a-un-vehicule", "mobilite--financer-ma-mobilite"),
        ("aide-materielle",),
        "Vélos, scooters et voitures à petit prix pour aller travailler ou se former.",
    ),
    T(
        "Médiation scolaire",
        ("famille--soutien-a-la-parentalite-et-a-leducation",),
        ("accompagnement",),
        "Inscription à l'école, lien avec les enseignants et suivi de la scolarité des enfants.",
    ),
    T(
        "Activités sportives et culturelles",
        ("remobilisation--activites-sportives-et-culturelles", "remobilisation--bien-etre-confiance-en-soi"),
        ("atelier",),
        "Sorties, ateliers artistiques et sport en groupe pour reprendre confiance.",
    ),
    T(
        "Écoute des femmes victimes de violences",
        ("famille--surmonter-conflits-separation-violence",),
        ("accompagnement",),
        "Accueil confidentiel, accompagnement juridique et mise à l'abri si nécessaire.",
    ),
    T(
        "Accompagnement à la création d'entreprise",
        ("creer-une-entreprise--definir-son-projet-de-creation-dentreprise",),
        ("accompagnement",),
        "Étude de votre projet, microcrédit et suivi après la création.",
    ),
    T(
        "Orientation vers une formation",
        ("se-former--trouver-sa-formation", "se-former--monter-son-dossier-de-formation"),
        ("information",),
        "Trouver une formation qualifiante et son financement.",
    ),
    T(
        "Interprétariat et traduction",
        ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",),
        ("aide-materielle",),
        "Interprètes en roumain, bulgare, arabe, dari et ukrainien pour les rendez-vous médicaux et administratifs.",
    ),
    T(
        "Réduction des risques et addictions",
        ("sante--addictions",),
        ("accompagnement",),
        "Accueil anonyme et gratuit, matériel de réduction des risques, orientation vers les soins.",
    ),
]
for _template in SERVICES:
    assert set(_template.thematiques) <= THEMES, _template  # noqa: S101 - a typo here is a bug

QUALIFIERS = ["", "", "", " pour les jeunes", " pour les familles", " en soirée", " – antenne", " itinérant"]
SENTENCES = [
    "Sur rendez-vous ou lors des permanences.",
    "Accueil sans rendez-vous le matin.",
    "Se munir d'une pièce d'identité si possible.",
    "Une équipe de bénévoles et de travailleurs sociaux vous accueille.",
    "Orientation possible par un professionnel (CCAS, assistante sociale, association).",
    "Le service est accessible aux personnes à mobilité réduite.",
    "Possibilité d'être accompagné par un interprète.",
    "Les enfants sont les bienvenus.",
]
STRUCTURE_NAMES = [
    "Centre social {place}",
    "CCAS de {place}",
    "Maison France services de {place}",
    "Secours populaire – comité de {place}",
    "Croix-Rouge française – unité locale de {place}",
    "Restos du cœur – centre de {place}",
    "Mission locale de {place}",
    "Association {adjective} {place}",
    "Maison de quartier {saint}",
    "Espace {saint}",
    "Épicerie solidaire {saint}",
    "PIMMS de {place}",
    "Point d'accueil solidarité de {place}",
    "Association Les {plural} de {place}",
]
ADJECTIVES = ["Solidarité", "Entraide", "Accueil", "Passerelle", "Horizon", "Partage", "Rencontre", "Avenir"]
SAINTS = [
    "Saint-Exupéry",
    "Jean Jaurès",
    "Louise Michel",
    "Victor Hugo",
    "Pablo Neruda",
    "Nelson Mandela",
    "Simone Veil",
]
PLURALS = ["Amis", "Voisins", "Bâtisseurs", "Jardins", "Compagnons", "Petits Frères"]
NETWORKS = ["ccas-cias", "secours-populaire", "croix-rouge", "restos-du-coeur", "mission-locale", "france-service"]
STREETS = [
    "rue de la République",
    "rue Jean Jaurès",
    "place de la Mairie",
    "avenue Roger Salengro",
    "rue Victor Hugo",
    "rue Pasteur",
    "boulevard de la Liberté",
    "rue du Général de Gaulle",
    "rue des Écoles",
    "rue de Paris",
]
HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 08:30-12:30,13:30-17:30; Sa 09:00-12:00",
    "Mo,Tu,Th,Fr 09:00-12:00",
    "Tu,Th 14:00-17:00",
    "We 09:00-12:00,14:00-18:00",
    "Mo-Sa 10:00-18:00",
    "Mo-Fr 18:00-20:00",
    "Mo-Fr 09:00-17:00; PH off",
    "24/7",
]
PUBLICS = [value for value, _label in enums.PUBLIC_CHOICES if value != "tous-publics"]
OTHER_LANGUAGES = ["ro", "bg", "rom", "ar", "uk", "ru", "en", "prs", "ps", "es", "pt", "tr", "sq", "ti"]
LEVELS = ["A0", "A1.1", "A1", "A2", "B1", "B2"]
LANGUAGE_COUNTS = [0, 0, 1, 1, 2, 3]
FEES, FEE_WEIGHTS = ["gratuit", "payant", ""], [85, 10, 5]
MODES, MODE_WEIGHTS = [["en-presentiel"], ["en-presentiel", "a-distance"], ["a-distance"]], [80, 15, 5]
REFERRAL_MODES = ["se-presenter", "telephoner", "envoyer-un-courriel"]
CAPACITIES = [None, 10, 12, 15, 20, 30]


class Command(BaseCommand):
    help = "Generate fake structures and services (bulk, fast) for benchmarks and demonstrations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--services", type=int, required=True, help="Number of services wanted in the source.")
        parser.add_argument("--structures", type=int, help="Number of structures (default: services / 4).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--source", default="bench", help="Source name of the generated rows (default: bench).")
        parser.add_argument("--departments", default="", help="Comma-separated department codes (default: all loaded).")
        parser.add_argument("--replace", action="store_true", help="Delete the rows of that source first.")

    def handle(self, *args: Any, **options: Any) -> None:
        source: str = options["source"].strip()
        if not source or source == enums.LOCAL_SOURCE:
            raise CommandError(f"Choose a source other than {enums.LOCAL_SOURCE!r}: its rows are real entries.")
        n_services: int = options["services"]
        n_structures: int = options["structures"] if options["structures"] is not None else (n_services + 3) // 4
        if n_services < 0 or n_structures < 0 or (n_services and not n_structures):
            raise CommandError("--services and --structures must be positive (services need a structure).")
        departments = [code.strip().upper() for code in options["departments"].split(",") if code.strip()]
        started = time.perf_counter()

        if options["replace"]:
            with transaction.atomic():
                deleted_services, _ = Service.objects.filter(source=source).delete()
                deleted_structures = self._delete_structures(source)
            self.stdout.write(f"Deleted {deleted_services} services and {deleted_structures} structures of {source!r}.")

        communes = self._communes(departments)
        rng = random.Random(f"{options['seed']}")  # noqa: S311 - fake data
        existing_structures = Structure.objects.filter(source=source).count()
        if existing_structures < n_structures:
            self._create_structures(rng, source, communes, existing_structures, n_structures)
        existing_services = Service.objects.filter(source=source).count()
        if existing_services >= n_services:
            self.stdout.write(f"Source {source!r} already has {existing_services} services: nothing to add.")
            return
        created = self._create_services(rng, source, communes, existing_services, n_services)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} services written in {elapsed:.1f} s ({created / max(elapsed, 1e-9):,.0f} services/s); "
                f"source {source!r} now has {existing_services + created} services."
            )
        )

    @staticmethod
    def _delete_structures(source: str) -> int:
        # Services of other sources attached to these structures would go with them: refuse.
        if Service.objects.filter(structure__source=source).exclude(source=source).exists():
            raise CommandError(f"Structures of {source!r} carry services of other sources; not deleting them.")
        _total, by_model = Structure.objects.filter(source=source).delete()
        return by_model.get(Structure._meta.label, 0)

    @staticmethod
    def _communes(departments: list[str]) -> list[tuple[str, str, float, float, str, int]]:
        qs = Commune.objects.filter(latitude__isnull=False, longitude__isnull=False).order_by("code")
        if departments:
            qs = qs.filter(department_id__in=departments)
        rows = [
            (code, name, float(lat or 0), float(lon or 0), (postal or [""])[0], population or 100)
            for code, name, lat, lon, postal, population in qs.values_list(
                "code", "name", "latitude", "longitude", "postal_codes", "population"
            )
        ]
        if not rows:
            raise CommandError("No commune with coordinates: run manage.py load_territory first.")
        return rows

    # --- Structures ----------------------------------------------------------------------

    def _create_structures(self, rng: random.Random, source: str, communes: list[Any], start: int, stop: int) -> None:
        weights = list(itertools.accumulate(commune[5] for commune in communes))
        now = timezone.now()
        writer = RowWriter(Structure)
        t0 = time.perf_counter()
        for batch_start in range(start, stop, BATCH_SIZE):
            rows = []
            for n in range(batch_start, min(stop, batch_start + BATCH_SIZE)):
                commune = rng.choices(communes, cum_weights=weights)[0]
                name = rng.choice(STRUCTURE_NAMES).format(
                    place=commune[1],
                    adjective=rng.choice(ADJECTIVES),
                    saint=rng.choice(SAINTS),
                    plural=rng.choice(PLURALS),
                )
                phone = "03 2{} {:02} {:02} {:02}".format(rng.randint(0, 9), *(rng.randint(0, 99) for _ in range(3)))
                rows.append(
                    {
                        "source": source,
                        "source_id": f"{source}-s{n}",
                        "name": name[:250],
                        "description": f"{name} accueille et accompagne les habitants de {commune[1]} et des environs.",
                        "commune_id": commune[0],
                        "postal_code": commune[4],
                        "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                        # Within about 2 km of the centroid.
                        "latitude": round(commune[2] + rng.uniform(-0.015, 0.015), 6),
                        "longitude": round(commune[3] + rng.uniform(-0.022, 0.022), 6),
                        "phone": phone,
                        "opening_hours": rng.choice(HOURS) if rng.random() < 0.7 else "",
                        "networks": [rng.choice(NETWORKS)] if rng.random() < 0.4 else [],
                        "is_active": rng.random() > 0.02,
                        "confirmed_at": now - timedelta(days=rng.randint(0, 400)),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            with transaction.atomic(), connection.cursor() as cursor:
                writer.copy(cursor, Structure._meta.db_table, writer.tuples(rows))
        elapsed = time.perf_counter() - t0
        count = stop - start
        self.stdout.write(f"{count} structures written in {elapsed:.1f} s ({count / max(elapsed, 1e-9):,.0f} rows/s).")

    # --- Services ------------------------------------------------------------------------

    def _create_services(self, rng: random.Random, source: str, communes: list[Any], start: int, stop: int) -> int:
        structures = list(
            Structure.objects.filter(source=source)
            .order_by("id")
            .values_list("id", "name", "commune_id", "commune__name", "latitude", "longitude")
        )
        now = timezone.now()
        writer = RowWriter(Service, exclude={"search_vector"})
        stage = "directory_service_generated"
        columns = ", ".join(writer.columns)
        created = 0
        t0 = time.perf_counter()
        for batch_start in range(start, stop, BATCH_SIZE):
            rows = writer.tuples(
                self._service(rng, source, n, rng.choice(structures), now)
                for n in range(batch_start, min(stop, batch_start + BATCH_SIZE))
            )
            with transaction.atomic(), connection.cursor() as cursor:
                # Test data: no need to wait for the disk at commit.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                # COPY into an unindexed temporary table, then one INSERT computing the full-text
                # vectors with the indexing module's own expression (VECTOR_SQL): each row and its
                # index entries are written once. bulk_create + refresh_search_vectors() wrote
                # them twice (the UPDATE is not HOT) and spent 4 s of Python per 5,000 rows.
                cursor.execute(
                    f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "  # noqa: S608 - constants
                    f"SELECT {columns} FROM directory_service WITH NO DATA"
                )
                writer.copy(cursor, stage, rows)
                cursor.execute(
                    f"INSERT INTO directory_service ({columns}, search_vector) "  # noqa: S608 - constants
                    f"SELECT {columns}, {VECTOR_SQL} FROM {stage} s"
                )
                cursor.execute(f"DROP TABLE {stage}")  # ON COMMIT is too late inside a caller's transaction
            created += len(rows)
            elapsed = time.perf_counter() - t0
            self.stdout.write(f"  {batch_start + len(rows)} / {stop} services ({created / elapsed:,.0f} rows/s)")
        with connection.cursor() as cursor:
            # Fresh statistics for the planner; outside a transaction, VACUUM also merges the
            # trigram and full-text indexes' pending entries and marks the pages all-visible.
            analyze = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(
                f"{analyze} directory_structure, directory_service, directory_servicesearchindex, directory_searchword"
            )
        return created

    @staticmethod
    def _service(rng: random.Random, source: str, n: int, structure: tuple[Any, ...], now: Any) -> dict[str, Any]:
        structure_id, structure_name, commune_code, commune_name, s_lat, s_lon = structure
        template = rng.choice(SERVICES)
        name = template.name + rng.choice(QUALIFIERS)
        # A quarter of the services have no address of their own: they are at their structure's.
        own_place = rng.random() < 0.75 and s_lat is not None and s_lon is not None
        languages = ["fr", *rng.sample(OTHER_LANGUAGES, rng.choice(LANGUAGE_COUNTS))]
        fees = rng.choices(FEES, FEE_WEIGHTS)[0]
        row = {
            "structure_id": structure_id,
            "source": source,
            "source_id": f"{source}-v{n}",
            "kind": template.kind,
            "name": name,
            "description": " ".join([template.description, *rng.sample(SENTENCES, rng.randint(1, 3))]),
            "thematiques": list(template.thematiques),
            "types": list(template.types),
            "publics": ["tous-publics"] if rng.random() < 0.4 else rng.sample(PUBLICS, rng.randint(1, 3)),
            "fees": fees,
            "fees_details": "Participation symbolique de 2 €." if fees == "payant" else "",
            "reception_modes": rng.choices(MODES, MODE_WEIGHTS)[0],
            "referral_modes": rng.sample(REFERRAL_MODES, rng.randint(1, 2)),
            "referral_by": ["usagers", "professionnels"] if rng.random() < 0.7 else ["professionnels"],
            "languages": languages,
            "interpreters": len(languages) > 2,
            "commune_id": commune_code if own_place else None,
            "latitude": round(s_lat + rng.uniform(-0.003, 0.003), 6) if own_place else None,
            "longitude": round(s_lon + rng.uniform(-0.004, 0.004), 6) if own_place else None,
            "opening_hours": rng.choice(HOURS) if rng.random() < 0.5 else "",
            "capacity": rng.choice(CAPACITIES),
            "is_active": rng.random() > 0.03,
            "created_at": now,
            "updated_at": now,
            "confirmed_at": now - timedelta(days=rng.randint(0, 400)),
            # As services._prepare does: the commune is the service's, else its structure's.
            "search_text": search_text_for(
                name=name, thematiques=template.thematiques, structure_name=structure_name, extra=commune_name or ""
            ),
        }
        if template.kind == FRENCH:
            row["course_type"] = template.course_type
            row["levels"] = sorted(rng.sample(LEVELS, rng.randint(1, 3)), key=LEVELS.index)
            row["weekly_hours"] = rng.choice([3.0, 4.5, 6.0, 9.0, 12.0])
            row["childcare"] = rng.random() < 0.3
        return row


class RowWriter:
    """COPY rows given as ``{attname: value}`` into a model's table; other columns get their default."""

    def __init__(self, model: type[Model], exclude: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude]
        self.attnames = [f.attname for f in fields]
        self.columns = [connection.ops.quote_name(f.column) for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}

    def tuples(self, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        defaults, attnames = self.defaults, self.attnames
        return [tuple(row[name] if name in row else defaults[name] for name in attnames) for row in rows]

    def copy(self, cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(self.columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
