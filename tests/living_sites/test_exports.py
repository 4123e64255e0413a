"""CSV/XLSX exports of the sites: columns, filters, small-cell suppression, procedure, queries."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maillage.core.suppression import additive_constraints, determined_cells, marker_legend
from maillage.living_sites import enums
from maillage.organisations.enums import OrganisationKind, Role
from tests.living_sites.factories import SiteFactory, SiteUpdateFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db

BANDS = ["Minors aged 0–3", "Minors aged 3–6", "Minors aged 6–12", "Minors aged 12–16", "Minors aged 16–18"]
FIGURES = ["People", "Households", "Minors", *BANDS, "Children in school"]
PROCEDURE = ["Legal procedure", "Decision", "Date of the decision", "Deadline to leave"]


def association_user(departments: list[str] | None = None, role: str = Role.PROFESSIONAL) -> Any:
    return member(role, OrganisationFactory(departments=departments or ["59"]))


def state_user(departments: list[str] | None = None, role: str = Role.PROFESSIONAL) -> Any:
    return member(role, OrganisationFactory(departments=departments or ["59"], kind=OrganisationKind.STATE_SERVICE))


def read_csv(client: Any, params: str = "") -> tuple[list[str], list[dict[str, str]], list[str]]:
    """Headers, rows up to the Total row, and the notes after it (the first cell of each line)."""
    response = client.get(reverse("living_sites:export", args=["csv"]) + params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    headers = lines[0]
    rows = [dict(zip(headers, row, strict=True)) for row in lines[1:]]
    end = next(index for index, row in enumerate(rows) if row["Name"] == "Total") + 1
    for note in rows[end:]:
        assert list(note.values())[1:] == [""] * (len(headers) - 1)  # the file stays rectangular
    return headers, rows[:end], [note["Name"] for note in rows[end:]]


def get_csv(client: Any, params: str = "") -> tuple[list[str], list[dict[str, str]]]:
    headers, rows, _notes = read_csv(client, params)
    return headers, rows


def update(site: Any, **figures: Any) -> Any:
    return SiteUpdateFactory(site=site, **figures)


def test_csv_columns_and_rows(client: Any) -> None:
    site = SiteFactory(name="Rue des Lilas", commune_code="59512", opened_on=date(2023, 4, 1))
    update(site, observed_on=date(2026, 10, 1), water_access="none")
    site.latest_update.conditions_light = "red"
    site.latest_update.save()
    SiteFactory(name="Chemin vert")  # no figures yet
    client.force_login(state_user())
    response = client.get(reverse("living_sites:export", args=["csv"]))
    assert 'filename="maillage-sites-' in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.csv"')
    headers, rows = get_csv(client)
    assert headers == [
        "Name",
        "Type",
        "Commune",
        "INSEE code",
        "Department",
        "Status",
        "Settled since",
        "Known since",
        "Closed on",
        "Date of the latest update",
        "Origin of the figures",
        *FIGURES,
        "Living conditions",
        *PROCEDURE,  # a State service's professional sees the legal procedure
    ]
    assert [row["Name"] for row in rows] == ["Chemin vert", "Rue des Lilas", "Total"]
    lilas = rows[1]
    assert lilas["Type"] == "Shantytown"
    assert lilas["Commune"] == "Roubaix"
    assert lilas["INSEE code"] == "59512"
    assert lilas["Department"].startswith("59 – ")
    assert lilas["Status"] == "Open"
    assert lilas["Settled since"] == "01/04/2023"
    assert lilas["Date of the latest update"] == "01/10/2026"
    assert lilas["Origin of the figures"] == "Counted by the team"
    assert [lilas[name] for name in FIGURES] == ["60", "15", "25", "5", "5", "8", "5", "2", "12"]
    assert lilas["Living conditions"] == "Bad"
    assert rows[0]["People"] == "" and rows[0]["Living conditions"] == "Not assessed"
    # The total row: sums of the known figures, the state service sees every number.
    assert [rows[2][name] for name in FIGURES] == ["60", "15", "25", "5", "5", "8", "5", "2", "12"]


def test_formula_like_text_is_escaped(client: Any) -> None:
    SiteFactory(name="=HYPERLINK(1)")
    client.force_login(state_user())
    _headers, rows = get_csv(client)
    assert rows[0]["Name"] == "'=HYPERLINK(1)"


def test_filters_and_policy(client: Any) -> None:
    SiteFactory(name="Lille open")
    SiteFactory(name="Lille squat", kind=enums.SiteKind.SQUAT)
    SiteFactory(name="Lille closed", status=enums.SiteStatus.CLOSED, closed_on=date(2025, 1, 1))
    SiteFactory(name="Calais", commune_code="62193")
    SiteFactory(name="Saint-Denis", commune_code="93066")
    client.force_login(association_user(["59", "62"]))
    names = lambda params: [row["Name"] for row in get_csv(client, params)[1]][:-1]  # noqa: E731
    assert names("") == ["Lille open", "Lille squat", "Calais"]
    assert names("?department=62") == ["Calais"]
    assert names("?kind=squat") == ["Lille squat"]
    assert names("?status=closed") == ["Lille closed"]
    assert sorted(names("?status=all")) == ["Calais", "Lille closed", "Lille open", "Lille squat"]
    assert names("?q=calais") == ["Calais"]
    assert names("?department=93") == ["Lille open", "Lille squat", "Calais"]  # not a choice: open sites


def test_light_filter(client: Any) -> None:
    red = SiteFactory(name="Red")
    update(red, water_access="none")
    red.latest_update.conditions_light = "red"
    red.latest_update.save()
    update(SiteFactory(name="Unknown"))
    client.force_login(association_user())
    assert [row["Name"] for row in get_csv(client, "?light=red")[1]] == ["Red", "Total"]


def test_unknown_format_is_404(client: Any) -> None:
    client.force_login(state_user())
    assert client.get("/sites/export.pdf").status_code == 404
    assert client.get("/sites/export.json").status_code == 404


def test_login_required(client: Any) -> None:
    response = client.get(reverse("living_sites:export", args=["csv"]))
    assert response.status_code == 302


SMALL = {
    "people": 40,
    "households": 3,
    "minors": 20,
    "minors_0_3": 3,
    "minors_3_6": 6,
    "minors_6_12": 11,
    "minors_12_16": 0,
    "minors_16_18": 0,
    "children_in_school": 9,
}


def test_suppression_for_an_association_member(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(association_user())
    _headers, rows = get_csv(client)
    site, total = rows
    assert site["Households"] == "< 5"
    assert site["Minors aged 0–3"] == "< 5"
    assert site["People"] == "40"
    # With one site, its row and the total row protect each other: every hidden cell of the
    # site is hidden in the total too.
    assert total["Households"] == "< 5"
    assert total["Minors aged 0–3"] == "< 5"
    # Zero is shown.
    assert site["Minors aged 12–16"] == "0"


def test_csv_ends_with_the_legend_of_the_markers(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(association_user())
    _headers, rows, notes = read_csv(client)
    assert rows[-1]["Name"] == "Total"
    assert notes == [marker_legend()]
    assert "“< 5” is a count from 1 to 4" in notes[0] and "“s”" in notes[0]


def test_csv_without_suppression_has_no_legend(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(state_user())
    _headers, rows, notes = read_csv(client)
    assert rows[-1]["Name"] == "Total"
    assert notes == []


def test_no_suppression_for_a_state_service_member(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(state_user())
    _headers, rows = get_csv(client)
    assert rows[0]["Households"] == "3"
    assert rows[0]["Minors aged 0–3"] == "3"
    assert rows[1]["Households"] == "3"


def test_a_partner_of_a_state_service_is_suppressed(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(state_user(role=Role.PARTNER))
    assert get_csv(client)[1][0]["Households"] == "< 5"


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def test_secondary_suppression_a_hidden_cell_cannot_be_recomputed(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    update(
        SiteFactory(name="B"),
        people=80,
        households=20,
        minors=30,
        minors_0_3=10,
        minors_3_6=5,
        minors_6_12=8,
        minors_12_16=5,
        minors_16_18=2,
        children_in_school=14,
    )
    update(
        SiteFactory(name="C"),
        people=50,
        households=12,
        minors=21,
        minors_0_3=7,
        minors_3_6=6,
        minors_6_12=6,
        minors_12_16=2,
        minors_16_18=0,
        children_in_school=10,
    )
    client.force_login(association_user())
    _headers, rows = get_csv(client)
    a, b, c, total = rows
    assert a["Minors aged 0–3"] == "< 5"
    assert b["Minors aged 16–18"] == "< 5"
    # In each row, minors minus the visible bands does not give a single hidden band.
    for row in (a, b, c, total):
        hidden = [name for name in ["Minors", *BANDS] if _number(row[name]) is None]
        assert len(hidden) != 1, row
    # A secondary cell is marked "s" (the 3–6 band of A: 20 − 3 − 11 − 0 − 0 would give it).
    assert a["Minors aged 3–6"] == "s"
    # In each column, the total minus the visible rows does not give a single hidden cell.
    for name in FIGURES:
        cells = [row[name] for row in rows]
        assert sum(1 for value in cells if _number(value) is None) != 1, (name, cells)


REVIEWED = [  # minors, then the five bands (the reviewer's example)
    (28, [3, 4, 12, 0, 9]),
    (27, [15, 2, 0, 4, 6]),
    (10, [2, 5, 3, 0, 0]),
]
KEYS = ["people", "households", "minors", "minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18"]


def test_no_hidden_count_can_be_computed_from_the_sums_together(client: Any) -> None:
    for index, (minors, bands) in enumerate(REVIEWED):
        figures = dict(zip(KEYS[3:], bands, strict=True))
        update(
            SiteFactory(name=f"Site {index}"), people=60, households=12, minors=minors, children_in_school=9, **figures
        )
    client.force_login(association_user())
    _headers, rows = get_csv(client)
    # Rebuild what a reader sees: the shown counts, the hidden ones, and the sums.
    table: dict[tuple[int, str], int | None] = {}
    hidden = []
    for row_index, row in enumerate(rows):
        for key, header in zip(KEYS, FIGURES, strict=False):
            table[(row_index, key)] = _number(row[header])
            if row[header] in ("< 5", "s"):
                hidden.append((row_index, key))
    total = len(rows) - 1
    constraints = additive_constraints(list(range(len(rows))), KEYS, row_groups={total: list(range(total))})
    constraints += additive_constraints(list(range(len(rows))), [], column_groups={"minors": KEYS[3:]})
    # Site 0's 3–6 band (4) came back exactly from the minors and the Total row combined.
    assert rows[0]["Minors aged 3–6"] == "< 5"
    assert determined_cells(hidden, table, constraints) == []


def test_xlsx(client: Any) -> None:
    update(SiteFactory(name="A", opened_on=date(2023, 4, 1)), **SMALL)
    client.force_login(association_user())
    response = client.get(reverse("living_sites:export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    headers = values[0]
    row = dict(zip(headers, values[1], strict=True))
    assert row["Name"] == "A"
    assert row["People"] == 40
    assert row["Households"] == "< 5"
    assert row["Settled since"].date() == date(2023, 4, 1)
    assert values[2][0] == "Total"
    assert not set(PROCEDURE) & set(headers)
    notes = workbook.worksheets[1]
    assert "Statistical confidentiality" in notes["A1"].value


def test_xlsx_without_suppression_has_no_notes(client: Any) -> None:
    update(SiteFactory(name="A"), **SMALL)
    client.force_login(state_user())
    workbook = load_workbook(io.BytesIO(client.get(reverse("living_sites:export", args=["xlsx"])).content))
    assert len(workbook.worksheets) == 1


def test_procedure_columns_absent_without_the_right(client: Any) -> None:
    SiteFactory(name="A", procedure=enums.LegalProcedure.COURT, procedure_decision="Eviction ordered")
    client.force_login(association_user())
    headers, rows = get_csv(client)
    assert not set(PROCEDURE) & set(headers)
    assert "Eviction ordered" not in str(rows)


def test_procedure_columns_only_filled_where_allowed(client: Any) -> None:
    SiteFactory(
        name="Lille",
        procedure=enums.LegalProcedure.COURT,
        procedure_decision="Eviction ordered",
        procedure_decided_on=date(2026, 3, 1),
    )
    SiteFactory(
        name="Calais", commune_code="62193", procedure=enums.LegalProcedure.ADMINISTRATIVE, procedure_decision="Order"
    )
    user = state_user(["59"])  # sees the procedure in 59
    MembershipFactory(user=user, organisation=OrganisationFactory(departments=["62"]), role=Role.VOLUNTEER)
    client.force_login(user)
    headers, rows = get_csv(client)
    assert headers[-4:] == PROCEDURE
    lille = next(row for row in rows if row["Name"] == "Lille")
    calais = next(row for row in rows if row["Name"] == "Calais")
    assert lille["Legal procedure"] == "Court procedure"
    assert lille["Decision"] == "Eviction ordered"
    assert lille["Date of the decision"] == "01/03/2026"
    assert [calais[name] for name in PROCEDURE] == ["", "", "", ""]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_query_count_is_fixed(client: Any, django_assert_num_queries: Any, fmt: str) -> None:
    user = association_user(["59", "62"])
    client.force_login(user)
    for _ in range(2):
        update(SiteFactory())
    url = reverse("living_sites:export", args=[fmt]) + "?department=59"
    # Session, user, the user's roles (the two-factor check, then the sites' policy), the
    # departments of the filter form, the sites with their commune, department and latest update,
    # then the session's save (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release).
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    for index in range(8):
        site = SiteFactory(commune_code="59009" if index % 2 else "59350")
        if index % 3:
            update(site)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


def test_empty_export(client: Any) -> None:
    client.force_login(association_user())
    _headers, rows = get_csv(client)
    assert [row["Name"] for row in rows] == ["Total"]
    assert rows[0]["People"] == ""
