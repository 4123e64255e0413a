"""One suppression for every output: the canonical blocks of ``selectors`` (indicator × kind ×
year × a region with everything inside it), whatever the output asks for. The reviewer's
reproductions: the API's filters (finding 1), the rule "last" (finding 2), the review against
the open data (finding 3), the headline of a hidden year (finding 6); inactive indicators."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from maillage.core.suppression import determined_cells
from maillage.indicators import enums, review, selectors
from maillage.indicators.models import AggregateValue
from maillage.indicators.periods import Period
from maillage.indicators.territories import Territory
from maillage.territory.models import Commune
from tests.indicators.factories import AggregateValueFactory, IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

Y, Q, M = "year", "quarter", "month"
A = "actual"
MEL = "200093201"  # Métropole européenne de Lille: Lille, Villeneuve-d'Ascq, Armentières…
MEL_COMMUNES = ("59350", "59009", "59017")


@pytest.fixture(autouse=True)
def _cold_cache() -> Any:
    selectors.clear_suppression_cache()
    yield
    selectors.clear_suppression_cache()


@pytest.fixture
def partner_user() -> Any:
    return member("professional", OrganisationFactory(departments=["59"]))


def put(indicator: Any, level: str, code: str, period: str, value: int, breakdown: str = "", kind: str = A) -> None:
    parsed = Period.parse(period)
    AggregateValueFactory(
        indicator=indicator,
        territory_level=level,
        territory_code=code,
        period_kind=parsed.kind,
        period_start=parsed.start,
        breakdown=breakdown,
        kind=kind,
        value=value,
    )


def published_table(indicators: list[Any], keys: set[selectors.Key]) -> dict[selectors.Key, int]:
    """The true values of the cells a reader got."""
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator__in=indicators))
    return {key: int(value) for key, value in rows if key in keys}


def assert_nothing_recoverable(indicators: list[Any], hidden: set[selectors.Key], shown: set[selectors.Key]) -> None:
    """No cell both hidden and shown; no hidden cell computable from the shown ones and the sums
    a reader knows (breakdowns, time, region = Σ departments = Σ communes, EPCI = Σ communes)."""
    assert not hidden & shown
    table = published_table(indicators, hidden | shown)
    by_id = {indicator.pk: indicator for indicator in indicators}
    constraints = []
    for indicator_id, indicator in by_id.items():
        part = {key: value for key, value in table.items() if key[0] == indicator_id}
        constraints += selectors._constraints(part, indicator.aggregation, selectors.Geography.load())
    assert determined_cells(sorted(hidden), table, constraints) == []


# --- Finding 1: the API's filters -----------------------------------------------------------


def finding_one_data() -> list[Any]:
    by_department = IndicatorFactory(code="by_department", breakdowns=[])
    # Nord 3 (Q1 1, Q2 2), Pas-de-Calais 40 (20 + 20), Oise 12; the region 55 (Q1 21, Q2 22, Q3 12).
    for code, year, quarters in (("59", 3, (1, 2)), ("62", 40, (20, 20)), ("60", 12, (0, 0, 12))):
        put(by_department, "department", code, "2025", year)
        for number, value in enumerate(quarters, start=1):
            put(by_department, "department", code, f"2025-Q{number}", value)
    put(by_department, "region", "32", "2025", 55)
    for number, value in enumerate((21, 22, 12), start=1):
        put(by_department, "region", "32", f"2025-Q{number}", value)
    # Communes: Lille 3 (1 woman, 2 men) and Villeneuve-d'Ascq 40; the MEL and the Nord 43; the
    # region 73 with the Pas-de-Calais' 30. The old code showed Villeneuve-d'Ascq asked alone.
    by_commune = IndicatorFactory(code="by_commune", breakdowns=["sex"])
    put(by_commune, "commune", "59350", "2025", 3)
    put(by_commune, "commune", "59350", "2025", 1, "sex=female")
    put(by_commune, "commune", "59350", "2025", 2, "sex=male")
    put(by_commune, "commune", "59009", "2025", 40)
    put(by_commune, "epci", MEL, "2025", 43)
    put(by_commune, "department", "59", "2025", 43)
    put(by_commune, "department", "62", "2025", 30)
    put(by_commune, "region", "32", "2025", 73)
    return [by_department, by_commune]


def test_api_calls_with_any_filters_give_nothing_back(client: Any, partner_user: Any) -> None:
    indicators = finding_one_data()
    client.force_login(partner_user)
    territories = [
        "",
        "region:32",
        "department:59",
        "department:60",
        "department:62",
        "commune:59350",
        "commune:59009",
        f"epci:{MEL}",
    ]
    hidden: set[selectors.Key] = set()
    shown: set[selectors.Key] = set()
    by_code = {indicator.code: indicator.pk for indicator in indicators}
    for code in by_code:
        for territory in territories:
            for period in ("", "2025", "2025-Q2"):
                params = {"territory": territory, "period": period, "limit": 100}
                body = client.get(f"/api/v1/indicators/{code}/values", params).json()
                assert body["count"] == len(body["items"])
                for item in body["items"]:
                    level, _sep, place = item["territory"].partition(":")
                    parsed = Period.parse(item["period"])
                    key = (by_code[code], level, place, parsed.kind, parsed.start, item["breakdown"], item["kind"])
                    (hidden if item["suppressed"] else shown).add(key)
    assert_nothing_recoverable(indicators, hidden, shown)
    year = date(2025, 1, 1)
    assert (by_code["by_commune"], "commune", "59009", Y, year, "", A) in hidden  # shown alone before
    assert (by_code["by_department"], "department", "59", Y, year, "", A) in hidden


def test_pages_and_exports_hide_the_same_cells_as_the_api(client: Any, partner_user: Any) -> None:
    by_department, by_commune = finding_one_data()
    client.force_login(partner_user)
    api = client.get(
        f"/api/v1/indicators/{by_department.code}/values", {"territory": "department:62", "period": "2025-Q1"}
    ).json()["items"]
    # The department's dashboard, the region's table and the API agree on Pas-de-Calais.
    page = client.get(
        reverse("indicators:dashboard"), {"territory": "department:62", "year": "2025", "domain": "language"}
    )
    card = next(c for c in page.context["data"].cards if c.indicator == by_department)
    table = client.get(
        reverse("indicators:indicator_detail", args=[by_department.code]),
        {"territory": "region:32", "year": "2025", "scale": "quarters"},
    ).context["table"]
    row = dict((t.code, figures) for t, figures in table.actual)["62"]
    assert (api[0]["suppressed"] != "") == card.series[0][1][0].hidden == row[0].hidden
    # A commune's dashboard shows the commune's hidden count as the region's blocks do.
    page = client.get(reverse("indicators:dashboard"), {"territory": "commune:59009", "year": "2025"})
    card = next(c for c in page.context["data"].cards if c.indicator == by_commune)
    assert card.actual.hidden and card.actual_period == "2025"


# --- Finding 2: the rule "last" -----------------------------------------------------------


def last_rule_data() -> Any:
    """The reviewer's rev2_last.py: a stock (rule last) in 2024; Nord 3 in Q4, Pas-de-Calais 40, Oise 10 in Q2."""
    stock = IndicatorFactory(code="stock", aggregation=enums.Aggregation.LAST, breakdowns=[])
    for code, period, value in (
        ("59", "2024-Q4", 3),
        ("59", "2024", 3),
        ("62", "2024-Q4", 40),
        ("62", "2024", 40),
        ("60", "2024-Q2", 10),
        ("60", "2024", 10),
    ):
        put(stock, "department", code, period, value)
    for period, value in (("2024-Q4", 43), ("2024-Q2", 10), ("2024", 53)):
        put(stock, "region", "32", period, value)
    return stock


def test_rule_last_a_year_equals_its_last_quarter() -> None:
    stock = last_rule_data()
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=stock))
    hidden = selectors.hidden_cells(rows, {stock.pk: stock}, region_of={"59": "32", "62": "32", "60": "32"})
    year_62 = (stock.pk, "department", "62", Y, date(2024, 1, 1), "", A)
    quarter_62 = (stock.pk, "department", "62", Q, date(2024, 10, 1), "", A)
    assert hidden[quarter_62] and hidden[year_62]  # 43 − 40 would give the Nord's 3 back
    table = {key: int(value) for key, value in rows}
    constraints = selectors._constraints(table, stock.aggregation, selectors.Geography.load())
    assert single_parts(constraints, year_62) == [quarter_62]
    assert determined_cells(list(hidden), table, constraints) == []


def single_parts(constraints: list[Any], total: selectors.Key) -> list[selectors.Key]:
    """The cells a total equals (the rule "last")."""
    return [part for c in constraints if c.total == total and len(c.parts) == 1 for part in c.parts]


def test_rule_last_quarter_and_month() -> None:
    stock = IndicatorFactory(code="stock_months", aggregation=enums.Aggregation.LAST, breakdowns=[])
    table = {
        (stock.pk, "department", "59", Y, date(2024, 1, 1), "", A): 7,
        (stock.pk, "department", "59", Q, date(2024, 1, 1), "", A): 9,
        (stock.pk, "department", "59", Q, date(2024, 4, 1), "", A): 7,
        (stock.pk, "department", "59", M, date(2024, 2, 1), "", A): 9,
        (stock.pk, "department", "59", M, date(2024, 5, 1), "", A): 6,
        (stock.pk, "department", "59", M, date(2024, 6, 1), "", A): 7,
    }
    pairs = {
        (c.total[3], c.total[4], c.parts[0][3], c.parts[0][4]) for c in selectors._constraints(table, "last", None)
    }
    assert pairs == {
        (Y, date(2024, 1, 1), Q, date(2024, 4, 1)),  # the last quarter with a value
        (Y, date(2024, 1, 1), M, date(2024, 6, 1)),  # the last month
        (Q, date(2024, 1, 1), M, date(2024, 2, 1)),
        (Q, date(2024, 4, 1), M, date(2024, 6, 1)),
    }


def read_open_data(client: Any) -> dict[tuple[str, str, str, str, str, str], dict[str, str]]:
    response = client.get(reverse("indicators:open_data"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return {
        (r["indicator"], r["territory_level"], r["territory_code"], r["period"], r["breakdown"], r["kind"]): r
        for r in data
    }


def open_data_keys(client: Any, indicators: list[Any]) -> tuple[set[selectors.Key], set[selectors.Key]]:
    by_code = {indicator.code: indicator.pk for indicator in indicators}
    hidden, shown = set(), set()
    for (code, level, place, period, breakdown, kind), row in read_open_data(client).items():
        parsed = Period.parse(period)
        key = (by_code[code], level, place, parsed.kind, parsed.start, breakdown, kind)
        (hidden if row["suppressed"] else shown).add(key)
    return hidden, shown


def test_open_data_gives_nothing_back_with_the_rule_last(client: Any) -> None:
    stock = last_rule_data()
    hidden, shown = open_data_keys(client, [stock])
    assert (stock.pk, "department", "62", Y, date(2024, 1, 1), "", A) in hidden
    assert_nothing_recoverable([stock], hidden, shown)


# --- Finding 3: the review and the open data ------------------------------------------------


def test_the_review_hides_the_same_cells_as_the_open_data(client: Any) -> None:
    stock = last_rule_data()
    finding_one_data()
    indicators = {i.pk: i for i in type(stock).objects.filter(is_active=True)}
    region = Territory(enums.TerritoryLevel.REGION, "32", "Hauts-de-France")
    departments = ["02", "59", "60", "62", "80"]
    open_hidden, open_shown = open_data_keys(client, list(indicators.values()))
    for year in (2024, 2025):
        figures = review._read(region, year, departments, indicators)
        assert figures.values
        for key in figures.values:
            full = (key[0], key[1], key[2], Y, date(key[3], 1, 1), key[4], key[5])
            assert (key in figures.hidden) == (full in open_hidden), full
            assert full in open_hidden | open_shown
    document = review.review_document(region, 2024)
    assert (stock.pk, "department", "62", 2024, "", A) in document["hidden"]  # 40, the old review showed it


# --- Finding 6: the headline of a hidden year ----------------------------------------------


def test_a_hidden_year_stays_the_headline(client: Any, partner_user: Any) -> None:
    indicator = IndicatorFactory(code="few", breakdowns=[])
    put(indicator, "department", "59", "2025", 3)
    put(indicator, "department", "59", "2025-Q1", 1)
    put(indicator, "department", "59", "2025-Q2", 2)
    client.force_login(partner_user)
    page = client.get(
        reverse("indicators:dashboard"), {"territory": "department:59", "year": "2025", "domain": "language"}
    )
    card = page.context["data"].cards[0]
    assert card.actual.hidden and card.actual.marker == "< 5"
    assert card.actual_period == "2025"


# --- The pages' reading (SQL digests) = the whole blocks ---------------------------------------


def consistent_values(indicator: Any, seed: int) -> dict[tuple[str, str, str, date, str], int]:
    """Months by sex in three communes of the MEL and in two other departments, rolled up as the
    refresh does (rule sum): months → quarters → year, communes → MEL and Nord → region."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    cells: dict[tuple[str, str, str, date, str], int] = defaultdict(int)
    leaves = [("commune", code) for code in MEL_COMMUNES] + [("department", "62"), ("department", "60")]
    for level, code in leaves:
        for month in range(1, 7):
            for part in ("female", "male"):
                value = rng.choice([0, 1, 2, 3, 5, 8, 12, 30])
                start = date(2025, month, 1)
                for breakdown in (f"sex={part}", ""):
                    cells[(level, code, M, start, breakdown)] += value
                    cells[(level, code, Q, date(2025, 3 * ((month - 1) // 3) + 1, 1), breakdown)] += value
                    cells[(level, code, Y, date(2025, 1, 1), breakdown)] += value
    for (level, _code, kind, start, breakdown), value in list(cells.items()):
        if level == "commune":
            cells[("epci", MEL, kind, start, breakdown)] += value
            cells[("department", "59", kind, start, breakdown)] += value
    for (level, _code, kind, start, breakdown), value in list(cells.items()):
        if level == "department":
            cells[("region", "32", kind, start, breakdown)] += value
    AggregateValue.objects.bulk_create(
        AggregateValue(
            indicator=indicator,
            territory_level=level,
            territory_code=code,
            period_kind=kind,
            period_start=start,
            breakdown=breakdown,
            kind=A,
            value=value,
        )
        for (level, code, kind, start, breakdown), value in cells.items()
    )
    return cells


TERRITORIES = [
    ("region", "32"),
    ("department", "59"),
    ("department", "62"),
    ("department", "60"),
    ("epci", MEL),
    *(("commune", code) for code in MEL_COMMUNES),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_territory_read_alone_gets_the_cells_of_the_whole_blocks(seed: int) -> None:
    indicator = IndicatorFactory(code=f"random_{seed}")
    consistent_values(indicator, seed)
    indicators = {indicator.pk: indicator}
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=indicator))
    whole = selectors.hidden_cells(rows, indicators, geography=selectors.Geography.load())
    assert whole
    table = {key: int(value) for key, value in rows}
    constraints = selectors._constraints(table, indicator.aggregation, selectors.Geography.load())
    assert determined_cells(list(whole), table, constraints) == []
    for warm in (False, True):  # first solved from the rows, then from the cache of the digests
        for level, code in TERRITORIES:
            own = [(key, value) for key, value in rows if (key[1], key[2]) == (level, code)]
            expected = {key: whole[key] for key, _value in own if key in whole}
            assert selectors.hidden_for(own, indicators) == expected, (warm, level, code)


def test_an_epci_straddling_two_regions_is_always_hidden() -> None:
    indicator = IndicatorFactory(code="straddling")
    consistent_values(indicator, 4)
    Commune.objects.filter(code="93001").update(epci_id=MEL)  # the MEL now reaches Île-de-France
    indicators = {indicator.pk: indicator}
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=indicator))
    whole = selectors.hidden_cells(rows, indicators, geography=selectors.Geography.load())
    mel = [(key, value) for key, value in rows if key[1] == "epci"]
    assert mel and all(key in whole for key, _value in mel)
    for level, code in TERRITORIES:
        own = [(key, value) for key, value in rows if (key[1], key[2]) == (level, code)]
        assert selectors.hidden_for(own, indicators) == {key: whole[key] for key, _v in own if key in whole}


def test_a_refresh_between_the_reads_is_detected() -> None:
    indicator = IndicatorFactory(code="refreshed", breakdowns=[])
    put(indicator, "department", "59", "2025", 3)
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=indicator))
    with pytest.raises(selectors.DataChanged):
        selectors.hidden_for(rows, {indicator.pk: indicator}, probe=10**12)  # a row id gone
    read, hidden = selectors.read_values(
        AggregateValue.objects.filter(indicator=indicator), {indicator.pk: indicator}, hide=True
    )
    assert read == rows and list(hidden.values()) == ["primary"]


# --- Inactive indicators -------------------------------------------------------------------


def test_an_inactive_indicator_is_not_found(client: Any, partner_user: Any) -> None:
    indicator = IndicatorFactory(code="retired", is_active=False)
    put(indicator, "department", "59", "2025", 30)
    client.force_login(partner_user)
    assert client.get(f"/api/v1/indicators/{indicator.code}/values").status_code == 404
    assert client.get(reverse("indicators:indicator_detail", args=[indicator.code])).status_code == 404
    export = reverse("indicators:export", args=["csv"])
    assert (
        client.get(export, {"territory": "department:59", "year": "2025", "indicator": indicator.code}).status_code
        == 404
    )
    assert not read_open_data(client)
