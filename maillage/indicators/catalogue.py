"""The catalogue of indicators and seed 004's figures, read from ``data/`` and loaded by the
``load_indicators`` command (idempotent: indicators are matched by code, values by cell).

``data/catalogue.yaml`` is a research draft whose vocabulary differs from the model's; it is
normalised here:

- ``direction``: up_is_good → up, down_is_good → down, neutral;
- ``source``: "computed:pathways" / "computed:living_sites" → computed, with the key of its
  function in ``computations.COMPUTATIONS`` (``COMPUTED``: the computed indicators are
  redefined on what Maillage records; those it cannot compute become entered);
- ``breakdowns``: "department" is dropped (a department is a territory of the value, not a
  breakdown); the others are ``enums.Breakdown`` values;
- ``eu_roma_target`` → ``eu_roma_objective`` ("" when null); ``seed_reference`` → ``reference``;
- the French definitions are in ``data/definitions_fr.yaml`` (and in ``COMPUTED``).

``data/seed_values.csv`` holds seed 004's figures (years 2018-2021, region 32 and its
departments): they are loaded as imported values (no organisation), through
``services.values.value_set`` and its checks. A note starting with "[dimension=part]" gives
the breakdown (``SEED_BREAKDOWNS``). Rows about an academy or the whole country, and the age
bands of the seed (split at 25), are skipped and listed by the command.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record

from . import enums
from .models import Indicator

DATA = Path(__file__).resolve().parent / "data"
CATALOGUE_PATH = DATA / "catalogue.yaml"
DEFINITIONS_FR_PATH = DATA / "definitions_fr.yaml"
SEED_VALUES_PATH = DATA / "seed_values.csv"

_DIRECTIONS = {
    "up_is_good": enums.Direction.UP,
    "down_is_good": enums.Direction.DOWN,
    "neutral": enums.Direction.NEUTRAL,
}
_COUNT, _PERCENT = enums.Unit.COUNT, enums.Unit.PERCENT
_SUM, _AVERAGE, _LAST, _DISTINCT = (
    enums.Aggregation.SUM,
    enums.Aggregation.AVERAGE,
    enums.Aggregation.LAST,
    enums.Aggregation.DISTINCT_COUNT,
)


def _retention(kind_en: str, kind_fr: str) -> dict[str, Any]:
    return {
        "unit": _PERCENT,
        "aggregation": _AVERAGE,
        "breakdowns": [],
        "definition_en": (
            f"Share of the {kind_en} outcomes recorded in case management whose follow-up 6 months later found "
            "the person in the same or a better situation (follow-ups done or contact lost; follow-ups not yet "
            "done are not counted). Year of the outcome."
        ),
        "definition_fr": (
            f"Part des sorties positives vers {kind_fr} enregistrées dans l’accompagnement dont le suivi à "
            "6 mois a trouvé la personne dans la même situation ou une meilleure (suivis faits ou contact perdu ; "
            "les suivis pas encore faits ne comptent pas). Année de la sortie."
        ),
    }


# The computed indicators: what each one is in Maillage, and its function's key.
COMPUTED: dict[str, dict[str, Any]] = {
    "households_followed": {
        "computation": "pathways_households_followed",
        "unit": _COUNT,
        "aggregation": _DISTINCT,
        "breakdowns": [],
        "definition_en": (
            "Number of distinct households followed in case management at some point of the period (recorded "
            "before its end, not closed before its start). Counted directly for every territory and period: "
            "a household followed in two months counts once in the year."
        ),
        "definition_fr": (
            "Nombre de ménages distincts suivis dans l’accompagnement à un moment de la période (enregistrés "
            "avant sa fin, non clos avant son début). Compté directement pour chaque territoire et période : "
            "un ménage suivi deux mois compte une fois dans l’année."
        ),
    },
    "persons_followed": {
        "computation": "pathways_persons_followed",
        "unit": _COUNT,
        "aggregation": _DISTINCT,
        "breakdowns": [enums.Breakdown.SEX],
        "definition_en": (
            "Number of distinct people of the households followed in case management at some point of the period."
        ),
        "definition_fr": (
            "Nombre de personnes distinctes des ménages suivis dans l’accompagnement à un moment de la période."
        ),
    },
    "pathway_outcome_employment_6m": {
        "computation": "pathways_retention_employment",
        **_retention("employment", "l’emploi"),
    },
    "pathway_outcome_training_6m": {
        "computation": "pathways_retention_training",
        **_retention("training", "la formation"),
    },
    "pathway_outcome_housing_6m": {"computation": "pathways_retention_housing", **_retention("housing", "le logement")},
    "informal_sites_active": {
        "computation": "sites_open",
        "unit": _COUNT,
        "aggregation": _LAST,
        "breakdowns": [],
        "definition_fr": (
            "Nombre de sites informels (bidonvilles, squats) occupés à la fin de la période, selon le module "
            "Lieux de vie."
        ),
    },
    "people_living_in_informal_sites": {
        "computation": "sites_people",
        "unit": _COUNT,
        "aggregation": _LAST,
        "breakdowns": [enums.Breakdown.AGE_BAND],
        "definition_en": (
            "Number of people living on the informal sites (shantytowns, squats) open at the end of the period, "
            "from each site's latest figures; the minors as the age band under 18."
        ),
        "definition_fr": (
            "Nombre de personnes vivant sur les sites informels (bidonvilles, squats) ouverts à la fin de la "
            "période, d’après les derniers chiffres de chaque site ; les mineurs dans la tranche d’âge moins de 18 ans."
        ),
    },
    "site_minors_in_school_share": {
        "computation": "sites_minors_in_school",
        "unit": _PERCENT,
        "aggregation": _AVERAGE,
        "breakdowns": [],
        "definition_en": (
            "Children in school as a percentage of the minors living on the open informal sites at the end of "
            "the month, from each site's latest figures (a quarter or a year: the mean of its months)."
        ),
        "definition_fr": (
            "Enfants scolarisés en pourcentage des mineurs vivant sur les sites informels ouverts à la fin du "
            "mois, d’après les derniers chiffres de chaque site (trimestre ou année : moyenne des mois)."
        ),
    },
    "site_closures_households_with_solution_share": {
        "computation": "sites_closure_solution",
        "unit": _PERCENT,
        "aggregation": _AVERAGE,
        "breakdowns": [],
        "definition_en": (
            "Households with an accommodation or housing solution as a percentage of the households present at "
            "the closures of sites in the year."
        ),
        "definition_fr": (
            "Ménages ayant une solution d’hébergement ou de logement en pourcentage des ménages présents lors "
            "des fermetures de sites de l’année."
        ),
    },
}

# Indicators Maillage computes that the draft does not have.
EXTRA: list[dict[str, Any]] = [
    {
        "code": "pathway_positive_outcomes",
        "name_en": "Positive outcomes of case management",
        "name_fr": "Sorties positives de l’accompagnement",
        "definition_en": (
            "Number of positive outcomes recorded in case management in the period (month of the outcome), by "
            "kind: employment (contracts, integration through work, self-employment), training, housing "
            "(including intermediate housing) and other (French level, CIR, schooling, rights)."
        ),
        "definition_fr": (
            "Nombre de sorties positives enregistrées dans l’accompagnement pendant la période (mois de la "
            "sortie), par nature : emploi (contrats, insertion par l’activité économique, création d’activité), "
            "formation, logement (y compris logement intermédiaire) et autre (niveau de français, CIR, "
            "scolarisation, droits)."
        ),
        "unit": "count",
        "domain": "employment",
        "source": "computed",
        "computation": "pathways_outcomes",
        "breakdowns": ["outcome"],
        "aggregation": "sum",
        "direction": "up",
        "eu_roma_objective": "employment",
        "regional_axis": "",
        "reference": "",
    },
]

# Computed in the draft, not computable from what Maillage records: entered.
ENTERED_INSTEAD = {"sites_with_water_access_share"}

FIELDS = (
    "name_fr",
    "name_en",
    "definition_fr",
    "definition_en",
    "unit",
    "domain",
    "source",
    "computation",
    "breakdowns",
    "aggregation",
    "direction",
    "eu_roma_objective",
    "regional_axis",
    "reference",
    "position",
    "is_active",
)


def _choice(value: Any, choices: Any, code: str, name: str) -> str:
    if value not in choices.values:
        raise ValueError(f"{code}: unknown {name} {value!r}")
    return str(value)


def _roma(value: Any, code: str) -> str:
    if value and value not in enums.EuRomaObjective.values:
        raise ValueError(f"{code}: unknown EU Roma objective {value!r}")
    return str(value or "")


def normalise(entry: dict[str, Any], definitions_fr: dict[str, str], position: int) -> dict[str, Any]:
    """The model's fields of one draft entry (ValueError on a value outside the vocabularies)."""
    code = entry["code"]
    source = str(entry.get("source") or "entered")
    computed = source.startswith("computed") and code not in ENTERED_INSTEAD
    if computed and code not in COMPUTED:
        raise ValueError(f"{code}: computed, but no computation is known for it")
    direction = entry.get("direction") or "neutral"
    if direction not in _DIRECTIONS:
        raise ValueError(f"{code}: unknown direction {direction!r}")
    breakdowns = [b for b in entry.get("breakdowns") or [] if b != "department"]
    for b in breakdowns:
        _choice(b, enums.Breakdown, code, "breakdown")
    reference = entry.get("seed_reference") or ""
    fields: dict[str, Any] = {
        "name_fr": entry["name_fr"],
        "name_en": entry.get("name_en") or "",
        "definition_fr": definitions_fr.get(code, ""),
        "definition_en": entry.get("definition_en") or "",
        "unit": _choice(entry["unit"], enums.Unit, code, "unit"),
        "domain": _choice(entry["domain"], enums.Domain, code, "domain"),
        "source": enums.Source.COMPUTED if computed else enums.Source.ENTERED,
        "computation": "",
        "breakdowns": breakdowns,
        "aggregation": _choice(entry["aggregation"], enums.Aggregation, code, "aggregation"),
        "direction": _DIRECTIONS[direction],
        "eu_roma_objective": _roma(entry.get("eu_roma_target"), code),
        "regional_axis": (entry.get("regional_axis") or "")[:200],
        "reference": f"Bilan 2019-2020 (seed 004) : « {reference} »" if reference else "",
        "position": position,
        "is_active": True,
    }
    if computed:
        fields.update(COMPUTED[code])
        fields["breakdowns"] = [str(b) for b in fields["breakdowns"]]
    if not fields["definition_fr"]:
        raise ValueError(f"{code}: no French definition")
    return fields


def read_catalogue(
    path: Path = CATALOGUE_PATH, definitions_path: Path = DEFINITIONS_FR_PATH
) -> dict[str, dict[str, Any]]:
    """{code: model fields} of the catalogue, in its order (then ``EXTRA``)."""
    with path.open(encoding="utf-8") as f:
        draft = yaml.safe_load(f)
    with definitions_path.open(encoding="utf-8") as f:
        definitions_fr = yaml.safe_load(f) or {}
    result: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(draft["indicators"], start=1):
        if entry["code"] in result:
            raise ValueError(f"{entry['code']}: twice in the catalogue")
        result[entry["code"]] = normalise(entry, definitions_fr, position * 10)
    for offset, extra in enumerate(EXTRA, start=len(result) + 1):
        result[extra["code"]] = {
            **{k: v for k, v in extra.items() if k != "code"},
            "position": offset * 10,
            "is_active": True,
        }
    return result


def catalogue_load(*, actor: Any, entries: dict[str, dict[str, Any]] | None = None) -> tuple[int, int]:
    """Create or update the indicators of the catalogue; (created, updated). One transaction."""
    entries = entries if entries is not None else read_catalogue()
    created = updated = 0
    with transaction.atomic():
        existing = {i.code: i for i in Indicator.objects.filter(code__in=list(entries))}
        for code, fields in entries.items():
            indicator = existing.get(code)
            if indicator is None:
                Indicator.objects.create(code=code, **fields)
                created += 1
            elif any(getattr(indicator, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(indicator, name, value)
                indicator.save()
                updated += 1
        if created or updated:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                object_type=Indicator._meta.label_lower,
                object_repr="Catalogue of indicators",
                changes={"created": created, "updated": updated},
            )
    return created, updated


@dataclass
class SeedResult:
    written: int = 0
    skipped: list[str] = field(default_factory=list)


# The breakdowns of seed 004, written "[dimension=part]" at the start of a note, in the
# module's parts (several of the seed's may add up into one); None: no part of the module
# matches (the seed splits ages at 25), the row is skipped.
SEED_BREAKDOWNS: dict[str, str | None] = {
    "sex=male": "sex=male",
    "sex=female": "sex=female",
    "status=economic": "status=residence_permit",
    "status=family": "status=residence_permit",
    "status=humanitarian": "status=refugee",
    "status=other": "status=other",
    "age_band=under_25": None,
    "age_band=25_plus": None,
}
_NOTE_TAG = re.compile(r"^\[([a-z_]+=[^\]]+)\]")


def seed_values_load(*, actor: Any, path: Path = SEED_VALUES_PATH) -> SeedResult:
    """Load seed 004's figures as imported values (one ``value_set`` per cell; the seed's
    parts that fall into one part of the module are added up)."""
    from .services.values import parse_number, value_set

    result = SeedResult()
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cells: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for number, row in enumerate(rows, start=2):
        level = row["territory_level"]
        if level not in enums.TerritoryLevel.values:
            result.skipped.append(f"line {number}: {row['code']} {level} {row['territory_code']} (not a territory)")
            continue
        note = row.get("note") or ""
        breakdown = ""
        if (tag := _NOTE_TAG.match(note)) and tag[1].partition("=")[0] in enums.Breakdown.values:
            if SEED_BREAKDOWNS.get(tag[1]) is None:
                result.skipped.append(f"line {number}: {row['code']} [{tag[1]}] (no such part in the module)")
                continue
            breakdown = SEED_BREAKDOWNS[tag[1]] or ""
        key = (row["code"], f"{level}:{row['territory_code']}", row["year"], row["kind"], breakdown)
        cell = cells.setdefault(key, {"value": Decimal(0), "notes": [], "lines": []})
        try:
            cell["value"] += parse_number(row["value"])
        except ValueError as exc:
            result.skipped.append(f"line {number}: {row['code']}: {exc}")
            continue
        cell["notes"].append(note)
        cell["lines"].append(number)
    for (code, territory, year, kind, breakdown), cell in cells.items():
        try:
            value_set(
                actor=actor,
                indicator=code,
                territory=territory,
                period=year,
                kind=kind,
                value=cell["value"],
                breakdown=breakdown,
                comment=" / ".join(cell["notes"])[:500],
                origin=enums.Origin.IMPORTED,
            )
        except ValidationError as exc:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            lines = ", ".join(str(n) for n in cell["lines"])
            result.skipped.append(f"line {lines}: {code}: {messages}")
            continue
        result.written += 1
    return result
