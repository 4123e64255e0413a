"""Monthly amounts from OpenFisca-France (RSA, prime d'activité, aides au logement, AF…).

The tax-benefit system is built once per process (a few seconds: ``warm_up`` at start-up
avoids paying it on the first request) and lightened by a reform that neutralises what our
households do not have (capital income, civil servants' pay, disability and old-age
benefits…): a simulation then costs a few hundred milliseconds instead of two seconds, and
a batch of households shares one simulation (``amounts``).

Our rule files decide eligibility from the law; OpenFisca gives amounts. Where OpenFisca
lacks an exemption of the law (refugees, subsidiary protection and stateless people are
exempted from the five-year condition of the RSA, CASF L262-4, OpenFisca-France issue
#2417), the household is simulated as meeting the condition, and the rule file records the
divergence. Incomes are taken as steady over the last three years (the bases of the RSA,
the prime d'activité and the housing aid look back up to two years).
"""

from __future__ import annotations

import logging
import os
import pickle  # noqa: S403 - reads only the cache file this module writes
import sys
import tempfile
import threading
import time
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings

from .enums import Housing, ResidenceStatus
from .schema import Answers

logger = logging.getLogger(__name__)

# Variables that our households do not have; neutralised (always 0) to save time.
NEUTRALISED = (
    "revenus_capitaux_prelevement_forfaitaire_unique_ir",
    "indemnite_residence",
    "supplement_familial_traitement",
    "rpns_revenus_microBA_agricole",
    "microentreprise",
    "aah_base",
    "aah",
    "asi",
    "aspa",
    "asi_aspa_base_ressources_individu",
    "prevoyance_complementaire_employeur",
    "pensions_alimentaires_percues",
    "ass",
    # Employees' contributions: our households give their net pay, so these are 0 anyway.
    "agirc_arrco_salarie",
    "vieillesse_plafonnee_salarie",
    "vieillesse_deplafonnee_salarie",
    "exoneration_cotisations_salarie_stagiaire",
    "contribution_equilibre_general_salarie",
    "contribution_equilibre_technique_salarie",
    "mmid_salarie",
    "apec_salarie",
    "ircantec_salarie",
    "rafp_salarie",
    "pension_salarie",
    "remuneration_apprenti",
    # Pensions, self-employment and capital income: none in the questionnaire.
    "casa",
    "csg_deductible_retraite",
    "csg_imposable_retraite",
    "crds_retraite",
    "pensions_invalidite",
    "rpns_imposables",
    "revenus_capitaux_prelevement_bareme",
    "revenus_capitaux_prelevement_liberatoire",
)
# Incomes given for every month of the window (so that OpenFisca does not derive them).
INCOME_INPUTS = (
    "salaire_net",
    "salaire_imposable",
    "chomage_net",
    "chomage_imposable",
    "chomage_brut",
    "salaire_de_base",
    "retraite_brute",
    "retraite_imposable",
    "retraite_nette",
)
VARIABLES = ("rsa", "ppa", "aide_logement", "af")
WINDOW_MONTHS = 40

# Nationality as OpenFisca reads it (only EEA or not matters to its formulas).
NON_EEA = "ZZ"
NATIONALITY = {
    ResidenceStatus.FRENCH: "FR",
    ResidenceStatus.EU_CITIZEN: "RO",
    ResidenceStatus.EU_FAMILY: "RO",
    # Exempted by the law from the five-year condition, not by OpenFisca (issue #2417).
    ResidenceStatus.REFUGEE: "FR",
    ResidenceStatus.SUBSIDIARY_PROTECTION: "FR",
    ResidenceStatus.STATELESS: "FR",
    ResidenceStatus.ASYLUM_SEEKER: NON_EEA,
    ResidenceStatus.RESIDENCE_PERMIT: NON_EEA,
    ResidenceStatus.NO_PERMIT: NON_EEA,
}
OCCUPATION = {
    Housing.RENTED: "locataire_vide",
    Housing.OWNER: "proprietaire",
    Housing.HOSTED: "loge_gratuitement",
}

_lock = threading.Lock()


def _parameters_cache() -> Path | None:
    """Where the parsed parameters are kept between processes (None: not kept)."""
    folder = getattr(settings, "RIGHTS_OPENFISCA_CACHE_DIR", None)
    if not folder:
        return None
    versions = "-".join(f"{name}{metadata.version(name)}" for name in ("openfisca-core", "openfisca-france", "PyYAML"))
    return Path(folder) / f"openfisca-parameters-{versions}-py{sys.version_info[0]}{sys.version_info[1]}.pickle"


def _france_system() -> Any:
    """FranceTaxBenefitSystem, its 4,000 parameter files parsed once and kept in a pickle.

    Parsing the YAML parameters is most of the loading time (about 4 s of 6); reading them
    back from the pickle takes about 0.5 s. The file is written by this process only, in
    ``RIGHTS_OPENFISCA_CACHE_DIR`` (``var/cache``), named after the versions it depends on.
    """
    from openfisca_france import FranceTaxBenefitSystem

    class WithParameterCache(FranceTaxBenefitSystem):
        def load_parameters(self, path_to_yaml_dir: str) -> None:
            cached = _parameters_cache()
            if cached is not None and cached.exists():
                try:
                    self.parameters = pickle.loads(cached.read_bytes())  # noqa: S301 - our own file
                    return
                except Exception:  # a truncated or stale file: parse the YAML again
                    logger.warning("OpenFisca parameters cache %s unreadable; rebuilding it", cached)
            super().load_parameters(path_to_yaml_dir)
            if cached is not None:
                try:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    with tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as tmp:
                        tmp.write(pickle.dumps(self.parameters, protocol=pickle.HIGHEST_PROTOCOL))
                    os.replace(tmp.name, cached)
                except OSError:
                    logger.warning("Cannot write the OpenFisca parameters cache %s", cached)

    return WithParameterCache()


@cache
def _system() -> Any:
    from openfisca_core.reforms import Reform

    class Lightened(Reform):
        name = "Maillage: without what newcomers' households do not have"

        def apply(self) -> None:
            for name in NEUTRALISED:
                if name in self.variables:
                    self.neutralize_variable(name)

    started = time.perf_counter()
    system = Lightened(_france_system())
    logger.info("OpenFisca-France loaded in %.1f s", time.perf_counter() - started)
    return system


def enabled() -> bool:
    return bool(getattr(settings, "RIGHTS_OPENFISCA", True))


def warm_up() -> None:
    """Build the tax-benefit system and run one simulation (first calls are the slowest)."""
    if enabled():
        amounts([Answers.model_validate(_SAMPLE)], as_of=date.today())


_SAMPLE = {
    "department": "59",
    "household": {"adults": [{"age": 30, "residence_status": "french"}], "children": [{"age": 4}]},
    "housing": "rented",
    "rent_eur": 400,
}


def _months(as_of: date) -> list[str]:
    from openfisca_core import periods

    start = periods.period(f"{as_of:%Y-%m}").offset(-(WINDOW_MONTHS - 1))
    return [str(p) for p in periods.period(f"month:{start}:{WINDOW_MONTHS}").get_subperiods("month")]


def _birth(age: int, as_of: date) -> str:
    # Half a year before the birthday of that age: the middle of the possible dates.
    year, month = as_of.year - age, as_of.month - 6
    if month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}-01"


def _years_of_stay(adult: Any) -> float:
    """``duree_possession_titre_sejour`` as OpenFisca reads it for its residence conditions.

    Non-EEA: years of a permit that allows work (the law counts no other). EEA: time in France
    (OpenFisca asks 3 months), except workers, whom the law exempts (CASF L262-6).
    """
    status = ResidenceStatus(adult.residence_status)
    if status in (ResidenceStatus.EU_CITIZEN, ResidenceStatus.EU_FAMILY):
        return 5.0 if adult.working else (adult.months_in_france or 0) / 12
    if status == ResidenceStatus.RESIDENCE_PERMIT:
        return float(adult.permit_years) if adult.permit_allows_work else 0.0
    return 0.0


def _situation(
    answers: Answers, n: int, as_of: date, months: list[str], incomes: dict[str, dict[str, float]] | None = None
) -> dict[str, dict[str, Any]]:
    """The household as OpenFisca's entities; each adult's monthly incomes go to ``incomes``."""
    incomes = {} if incomes is None else incomes
    month = f"{as_of:%Y-%m}"
    people: dict[str, Any] = {}
    adults = [f"h{n}a{i}" for i in range(len(answers.household.adults))]
    children = [f"h{n}c{i}" for i in range(len(answers.household.children))]
    for key, adult in zip(adults, answers.household.adults, strict=True):
        income = float(adult.monthly_income_eur)
        person: dict[str, Any] = {}
        # Pay, or other income (unemployment benefit, help from family…): a resource, not activity.
        incomes[key] = (
            {"salaire_net": income, "salaire_imposable": income}
            if adult.working
            else {
                "chomage_net": income,
                "chomage_imposable": income,
            }
        )
        person["date_naissance"] = {"ETERNITY": _birth(adult.age, as_of)}
        person["nationalite"] = {month: NATIONALITY[ResidenceStatus(adult.residence_status)]}
        person["duree_possession_titre_sejour"] = {month: _years_of_stay(adult)}
        people[key] = person
    for key, child in zip(children, answers.household.children, strict=True):
        people[key] = {}
        people[key]["date_naissance"] = {"ETERNITY": _birth(child.age, as_of)}
    parents, others = adults[:2], adults[2:]
    asylum = answers.household.adults[0].residence_status == ResidenceStatus.ASYLUM_SEEKER
    families = {f"h{n}f": {"parents": parents, "enfants": children, "asile_demandeur": {month: asylum}}}
    tax_units = {f"h{n}t": {"declarants": parents, "personnes_a_charge": children}}
    for i, other in enumerate(others):  # other adults (a grown-up child, a relative): own units
        families[f"h{n}f{i}"] = {"parents": [other]}
        tax_units[f"h{n}t{i}"] = {"declarants": [other]}
    home: dict[str, Any] = {
        "personne_de_reference": adults[:1],
        "conjoint": adults[1:2],
        "enfants": children,
        "autres": others,
        "statut_occupation_logement": {month: OCCUPATION.get(Housing(answers.housing), "sans_domicile")},
        "loyer": {month: float(answers.rent_eur)},
    }
    if answers.commune:
        home["depcom"] = {month: answers.commune}
    return {"individus": people, "familles": families, "foyers_fiscaux": tax_units, "menages": {f"h{n}m": home}}


def _set_incomes(simulation: Any, incomes: dict[str, dict[str, float]], months: list[str]) -> None:
    """Every income of ``INCOME_INPUTS``, for every month of the window, as one array per month.

    Much faster than giving them month by month in the situation's JSON, which OpenFisca
    parses period by period.
    """
    import numpy

    ids = list(simulation.persons.ids)
    for name in INCOME_INPUTS:
        values = numpy.array([incomes.get(person, {}).get(name, 0.0) for person in ids], dtype=numpy.float32)
        for month in months:
            simulation.set_input(name, month, values)


def amounts(batch: list[Answers], *, as_of: date) -> list[dict[str, float]]:
    """For each household, the monthly amount of each variable of ``VARIABLES`` (one simulation)."""
    if not enabled() or not batch:
        return [{} for _ in batch]
    from openfisca_core.simulation_builder import SimulationBuilder

    months = _months(as_of)
    entities: dict[str, dict[str, Any]] = {"individus": {}, "familles": {}, "foyers_fiscaux": {}, "menages": {}}
    family_of_household: list[str] = []
    incomes: dict[str, dict[str, float]] = {}
    for n, answers in enumerate(batch):
        for plural, items in _situation(answers, n, as_of, months, incomes).items():
            entities[plural].update(items)
        family_of_household.append(f"h{n}f")
    period = f"{as_of:%Y-%m}"
    with _lock:  # the system is shared; simulations are cheap to serialise next to their cost
        system = _system()
        simulation = SimulationBuilder().build_from_entities(system, entities)
        _set_incomes(simulation, incomes, months)
        values = {name: simulation.calculate(name, period) for name in VARIABLES}
        family_ids = list(simulation.populations["famille"].ids)
    results = []
    rows = {family: row for row, family in enumerate(family_ids)}
    for family in family_of_household:
        row = rows[family]
        results.append(
            {
                "rsa": float(values["rsa"][row]),
                "ppa": float(values["ppa"][row]),
                "aide_logement": float(values["aide_logement"][row]),
                "af": float(values["af"][row]),
            }
        )
    return results
