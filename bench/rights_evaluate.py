"""Benchmark of the rights evaluation: cold start, warm per household, batch, naive OpenFisca.

    .venv/bin/python bench/rights_evaluate.py [--households 50] [--seed 1]

No database is needed (the engine and OpenFisca only; places are not looked up). Prints:

- cold: a new Python process imports Django and the engine, builds the lightened
  OpenFisca-France system and evaluates one household (target ≤ 5 s);
- warm: ``engine.evaluate`` of each of ``--households`` generated households, one call per
  household (target p95 ≤ 300 ms);
- batch: ``engine.evaluate_many`` of all households at once, time per household;
- naive: for each household, a new simulation per scheme with OpenFisca's full system
  (no neutralised variables, no shared simulation), as a first implementation would do.

The objects alive after start-up are frozen (``gc.freeze()``), as a pre-forking server does.
The OpenFisca parameters' cache (``RIGHTS_OPENFISCA_CACHE_DIR``) is used if present: the
first run of a new installation writes it, and is about 3 s slower to start.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

STATUSES = [
    "french", "eu_citizen", "eu_family", "refugee", "subsidiary_protection", "stateless",
    "asylum_seeker", "residence_permit", "no_permit",
]  # fmt: skip
HOUSINGS = ["street", "shantytown", "squat", "shelter", "hosted", "rented", "owner"]
AS_OF = date(2026, 11, 1)

COLD = """
import os, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
import django
django.setup()
from maillage.rights.engine import evaluate
from maillage.rights.schema import Answers
answers = Answers.model_validate({{"department": "59", "commune": "59350", "household": {{"adults": [{{"age": 34,
    "residence_status": "refugee", "months_in_france": 14}}], "children": [{{"age": 7}}]}}, "housing": "rented",
    "rent_eur": 400, "has_address": True, "health_cover": "puma"}})
evaluate(answers)
print(time.perf_counter() - started)
"""


def household(rng: random.Random) -> dict:
    adults = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        working = rng.random() < 0.3
        adults.append(
            {
                "age": rng.randint(18, 70),
                "residence_status": rng.choice(STATUSES),
                "permit_years": rng.randint(0, 12),
                "permit_allows_work": rng.random() < 0.6,
                "months_in_france": rng.choice([None, rng.randint(0, 240)]),
                "working": working,
                "monthly_income_eur": rng.choice([0, 0, 300, 900, 1500, 2500]) if working else rng.choice([0, 0, 200]),
            }
        )
    children = [
        {"age": rng.randint(0, 19), "in_school": rng.random() < 0.7} for _ in range(rng.choice([0, 1, 2, 3, 5]))
    ]
    housing = rng.choice(HOUSINGS)
    return {
        "department": "59",
        "commune": rng.choice(["59350", "59009", "59599", "59183"]),
        "household": {"adults": adults, "children": children},
        "housing": housing,
        "rent_eur": rng.choice([300, 500, 750]) if housing == "rented" else 0,
        "has_address": rng.choice([True, False, None]),
        "health_cover": rng.choice(["none", "puma", "css", "ame", None]),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def line(label: str, samples_ms: list[float]) -> str:
    return (
        f"{label:<34} n={len(samples_ms):<3} p50 {statistics.median(samples_ms):8.1f} ms   "
        f"p95 {percentile(samples_ms, 95):8.1f} ms   max {max(samples_ms):8.1f} ms"
    )


def naive(batch: list, system) -> list[float]:
    from openfisca_core.simulation_builder import SimulationBuilder

    from maillage.rights import openfisca

    samples = []
    months = openfisca._months(AS_OF)
    for n, answers in enumerate(batch):
        started = time.perf_counter()
        for variable in openfisca.VARIABLES:  # one simulation per scheme
            incomes: dict = {}
            situation = openfisca._situation(answers, n, AS_OF, months, incomes)
            simulation = SimulationBuilder().build_from_entities(system, situation)
            openfisca._set_incomes(simulation, incomes, months)
            simulation.calculate(variable, f"{AS_OF:%Y-%m}")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--naive", type=int, default=10, help="households for the naive run (slow)")
    args = parser.parse_args()

    cold = [
        float(subprocess.check_output([sys.executable, "-c", COLD.format(root=str(ROOT))], text=True)) for _ in range(3)
    ]
    print(f"cold start (new process → first result), 3 runs: {', '.join(f'{c:.2f} s' for c in cold)}")

    import django

    django.setup()
    from maillage.rights import engine, openfisca
    from maillage.rights.schema import Answers

    rng = random.Random(args.seed)
    batch = [Answers.model_validate(household(rng)) for _ in range(args.households)]
    engine.evaluate(batch[0], as_of=AS_OF)  # warm-up
    gc.freeze()
    warm = []
    for answers in batch:
        started = time.perf_counter()
        engine.evaluate(answers, as_of=AS_OF)
        warm.append((time.perf_counter() - started) * 1000)
    print(line("warm, one household per call", warm))
    without = []
    for answers in batch:
        started = time.perf_counter()
        engine.evaluate(answers, as_of=AS_OF, amounts=False)
        without.append((time.perf_counter() - started) * 1000)
    print(line("warm, rules only (no OpenFisca)", without))
    started = time.perf_counter()
    engine.evaluate_many(batch, as_of=AS_OF)
    total = (time.perf_counter() - started) * 1000
    print(f"{'batch of all households':<34} total {total:8.1f} ms   per household {total / len(batch):6.1f} ms")

    from openfisca_france import FranceTaxBenefitSystem

    full = FranceTaxBenefitSystem()
    samples = naive(batch[: args.naive], full)
    print(line("naive: full system, 1 sim/scheme", samples))
    p95 = percentile(warm, 95)
    print(
        f"targets: warm p95 ≤ 300 ms: {'met' if p95 <= 300 else 'NOT met'} ({p95:.0f} ms); "
        f"cold ≤ 5 s: {'met' if max(cold) <= 5 else 'NOT met'} ({max(cold):.1f} s); "
        f"OpenFisca system built in this process: {openfisca._system.cache_info().currsize == 1}"
    )


if __name__ == "__main__":
    main()
