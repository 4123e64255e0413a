"""Benchmark of the directory search: the API against the bare SQL it runs.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/maillage_bench \\
        .venv/bin/python bench/directory_search.py [--services 100000] [--queries 200] [--seed 1]

The database needs the migrations and the territory referential (``manage.py migrate`` and
``manage.py load_territory`` with the same DATABASE_URL). The script makes sure the source
``bench`` has ``--services`` services (``manage.py generate_directory`` tops it up, spread
over France by population), then runs a fixed mix of searches (text only; text and a theme;
text within a radius of a commune of the Nord or the Pas-de-Calais; misspelt words):

(a) through the API, ``django.test.Client().get("/api/v1/services", ...)``: middleware,
    Ninja's validation, the selector, the serialisation;
(b) as bare SQL: the very statements (a) sent to PostgreSQL, captured once per search
    (the text probe, the spelling corrections, the commune's centroid, the count and the
    page), replayed with a cursor, fetching every row.

Each search is run once untimed (warm-up and capture), then (a) and (b) are timed in turn.
The objects alive after start-up are frozen (``gc.freeze()``), as a pre-forking server does,
so that Python's full garbage collections do not land in the samples.
The table gives p50/p95/max in milliseconds per kind of search and overall, and whether the
target holds: API p95 ≤ 30 ms and ≤ 2 × the bare SQL's p95.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from maillage.directory.models import Service  # noqa: E402
from maillage.territory.models import Commune  # noqa: E402

SOURCE = "bench"
TARGET_P95_MS = 30.0
TARGET_RATIO = 2.0
URL = "/api/v1/services"
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

WORDS = [
    "français",
    "cours de français",
    "alphabétisation",
    "domiciliation",
    "aide alimentaire",
    "épicerie solidaire",
    "vestiaire",
    "emploi",
    "CV",
    "médiation santé",
    "psychologue",
    "hébergement d'urgence",
    "accueil de jour",
    "logement",
    "numérique",
    "internet",
    "budget",
    "surendettement",
    "parentalité",
    "garde d'enfants",
    "permis de conduire",
    "vélo",
    "scolaire",
    "sport",
    "violences",
    "création d'entreprise",
    "formation",
    "interprète",
    "addictions",
    "droits",
    "Secours populaire",
    "Croix-Rouge",
    "Restos du cœur",
    "CCAS",
    "mission locale",
    "centre social",
]
THEMES = {
    "français": "lecture-ecriture-calcul--maitriser-le-francais",
    "emploi": "trouver-un-emploi--repondre-a-des-offres-demploi",
    "santé": "sante--acces-aux-soins",
    "logement": "logement-hebergement--louer-un-logement",
    "numérique": "numerique--maitriser-les-fondamentaux-du-numerique",
    "alimentation": "equipement-et-alimentation--alimentation",
    "démarches": "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
}
TYPOS = [
    "fransais",
    "alfabetisation",
    "domicilation",
    "epiceri solidaire",
    "vestiare",
    "psycologue",
    "hebergment",
    "numerik",
    "surendetement",
    "parentalite",
    "permi de conduir",
    "adictions",
    "secour populaire",
    "medation",
]


def make_queries(count: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    communes = list(
        Commune.objects.filter(department_id__in=["59", "62"], latitude__isnull=False).values_list("code", flat=True)
    )
    kinds = ["text", "text+theme", "text+radius", "typo"]
    queries = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        if kind == "text":
            params: dict[str, Any] = {"q": rng.choice(WORDS)}
        elif kind == "text+theme":
            word, theme = rng.choice(list(THEMES.items()))
            params = {"q": rng.choice([word, rng.choice(WORDS)]), "thematique": theme}
        elif kind == "text+radius":
            params = {"q": rng.choice(WORDS), "commune": rng.choice(communes), "radius_km": rng.choice([2, 5, 10, 20])}
        else:
            params = {"q": rng.choice(TYPOS)}
        queries.append((kind, params))
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def ensure_services(wanted: int) -> None:
    have = Service.objects.filter(source=SOURCE).count()
    if have < wanted:
        print(f"The source {SOURCE!r} has {have} services; generating up to {wanted}…")
        call_command("generate_directory", services=wanted, source=SOURCE)
    else:
        print(f"The source {SOURCE!r} has {have} services.")
    print(f"Active services in the database: {Service.objects.filter(is_active=True).count()}.")


def run(args: argparse.Namespace) -> bool:
    ensure_services(args.services)
    client = Client(HTTP_HOST="localhost")
    queries = make_queries(args.queries, random.Random(args.seed))  # noqa: S311
    client.get(URL, {"q": "warm-up"})
    # What start-up left alive goes to the permanent generation, as a pre-forking server does:
    # otherwise a full collection, walking all of Django's objects (50-65 ms measured), lands
    # in a sample now and then, whatever that sample does.
    gc.collect()
    gc.freeze()
    timings: dict[str, dict[str, list[float]]] = {}
    slowest: list[tuple[float, float, int, str, dict[str, Any]]] = []
    statements = 0
    for kind, params in queries:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, params)
        if response.status_code != 200:
            raise SystemExit(f"{params} answered {response.status_code}: {response.content[:300]!r}")
        captured_sqls = [query["sql"] for query in captured.captured_queries]
        # Transaction control is replayed as one atomic block (the selector opens one to
        # bound the spelling corrections with SET LOCAL statement_timeout).
        sqls = [sql for sql in captured_sqls if not TRANSACTION_CONTROL.match(sql)]
        in_transaction = len(sqls) < len(captured_sqls)
        statements += len(sqls)

        started = time.perf_counter()
        response = client.get(URL, params)
        api_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200

        started = time.perf_counter()
        with transaction.atomic() if in_transaction else nullcontext(), connection.cursor() as cursor:
            for sql in sqls:
                try:
                    with transaction.atomic() if in_transaction else nullcontext():
                        cursor.execute(sql)
                        if cursor.description is not None:
                            cursor.fetchall()
                except OperationalError:  # the spelling corrections' statement_timeout, as in (a)
                    pass
        sql_ms = (time.perf_counter() - started) * 1000

        count = response.json()["count"]
        slowest.append((api_ms, sql_ms, count, kind, params))
        size = "≤ 1,000 found" if count <= 1000 else "≤ 5,000 found" if count <= 5000 else "> 5,000 found"
        for group in (kind, size, "all"):
            timings.setdefault(group, {"api": [], "sql": []})
            timings[group]["api"].append(api_ms)
            timings[group]["sql"].append(sql_ms)

    print()
    print(f"{len(queries)} searches, {statements / len(queries):.1f} SQL statements each on average; times in ms")
    api_head, sql_head = f"{'API p50':>8} {'p95':>7} {'max':>7}", f"{'SQL p50':>8} {'p95':>7} {'max':>7}"
    print(f"{'searches':<14} {'n':>4} | {api_head} | {sql_head} | {'p95 ratio':>9}")
    order = ["text", "text+theme", "text+radius", "typo", "≤ 1,000 found", "≤ 5,000 found", "> 5,000 found", "all"]
    for group, values in sorted(timings.items(), key=lambda item: order.index(item[0])):
        api, sql = values["api"], values["sql"]
        print(
            f"{group:<14} {len(api):>4} | {statistics.median(api):>8.1f} {percentile(api, 0.95):>7.1f} {max(api):>7.1f}"
            f" | {statistics.median(sql):>8.1f} {percentile(sql, 0.95):>7.1f} {max(sql):>7.1f}"
            f" | {percentile(api, 0.95) / percentile(sql, 0.95):>8.2f}×"
        )
    if args.slowest:
        print()
        print(f"The {args.slowest} slowest searches (API ms, SQL ms, results, kind, parameters):")
        slowest.sort(key=lambda row: row[0], reverse=True)
        for api_ms, sql_ms, found, kind, params in slowest[: args.slowest]:
            print(f"  {api_ms:7.1f} {sql_ms:7.1f} {found:>7} {kind:<12} {params}")
    api_p95 = percentile(timings["all"]["api"], 0.95)
    ratio = api_p95 / percentile(timings["all"]["sql"], 0.95)
    ok = api_p95 <= TARGET_P95_MS and ratio <= TARGET_RATIO
    print()
    print(
        f"Target: API p95 ≤ {TARGET_P95_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}× the bare SQL's p95. "
        f"Measured: {api_p95:.1f} ms, {ratio:.2f}× — {'met' if ok else 'NOT met'}."
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--services", type=int, default=100_000, help="Services of the source 'bench' (default 100000)."
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest searches (10)")
    args = parser.parse_args()
    ok = run(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
