"""The bulk template: its content (CSV and XLSX), the round trip download → fill → upload, and
the files refused (type, size, columns, row errors) with nothing written."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from maillage.indicators import enums, templates_io
from maillage.indicators.models import IndicatorValue
from maillage.indicators.services.locks import period_lock
from tests.indicators.factories import IndicatorFactory, IndicatorValueFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

UPLOAD = reverse("indicators:entry_upload")
COLUMNS = ["indicator", "territory", "period", "kind", "breakdown", "value", "comment"]
YEAR = templates_io.template_year()


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Association Rives", departments=["59", "62"])


@pytest.fixture
def pro(organisation, client):
    user = member("professional", organisation)
    client.force_login(user)
    return user


@pytest.fixture
def indicators():
    return [
        IndicatorFactory(code="people_welcomed", domain=enums.Domain.GOVERNANCE, position=1),
        IndicatorFactory(code="french_hours", unit=enums.Unit.HOURS, domain=enums.Domain.LANGUAGE, breakdowns=[]),
        IndicatorFactory(code="computed_one", source=enums.Source.COMPUTED),
    ]


def _template(client, organisation, fmt):
    response = client.get(reverse("indicators:entry_template", args=[fmt]) + f"?organisation={organisation.pk}")
    assert response.status_code == 200
    return response


def _csv_bytes(rows, header=COLUMNS, delimiter=";"):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _upload(client, organisation, name, data):
    return client.post(UPLOAD, {"organisation": organisation.pk, "file": SimpleUploadedFile(name, data)})


# --- The template ----------------------------------------------------------------------------


def test_xlsx_template_has_the_columns_rows_instructions_and_existing_values(client, pro, organisation, indicators):
    IndicatorValueFactory(
        indicator=indicators[0], organisation=organisation, period_start=date(YEAR, 1, 1), value=42, comment="kept"
    )
    response = _template(client, organisation, "xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"maillage-indicators-association-rives-{YEAR}.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Values", "Instructions", "Indicators"]
    rows = list(workbook["Values"].iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    # Entered indicators × departments, the last year, the organisation's value already there.
    assert [r[:4] for r in rows[1:]] == [
        ("people_welcomed", "department:59", str(YEAR), "actual"),
        ("people_welcomed", "department:62", str(YEAR), "actual"),
        ("french_hours", "department:59", str(YEAR), "actual"),
        ("french_hours", "department:62", str(YEAR), "actual"),
    ]
    assert rows[1][5:] == (42, "kept") and rows[2][5] is None
    instructions = " ".join(str(c) for row in workbook["Instructions"].iter_rows(values_only=True) for c in row if c)
    assert "Rows without a value are left out" in instructions and "sex=female|male|other" in instructions
    catalogue = list(workbook["Indicators"].iter_rows(values_only=True))
    assert [r[0] for r in catalogue[1:]] == ["people_welcomed", "french_hours"]


def test_csv_template(client, pro, organisation, indicators):
    response = _template(client, organisation, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == ";".join(COLUMNS)
    assert lines[1] == f"people_welcomed;department:59;{YEAR};actual;;;"
    assert len(lines) == 5


def test_template_of_another_organisation_or_format_is_404(client, pro, organisation):
    other = OrganisationFactory(departments=["59"])
    url = reverse("indicators:entry_template", args=["csv"])
    assert client.get(url + f"?organisation={other.pk}").status_code == 404
    assert client.get(reverse("indicators:entry_template", args=["pdf"])).status_code == 404
    assert client.get(url).status_code == 200  # one organisation: no need to name it


# --- Round trips -------------------------------------------------------------------------------


def test_round_trip_xlsx_download_fill_upload(client, pro, organisation, indicators):
    workbook = load_workbook(io.BytesIO(_template(client, organisation, "xlsx").content))
    sheet = workbook["Values"]
    sheet["F2"] = 120  # people_welcomed, 59
    sheet["G2"] = "From the register"
    sheet["F4"] = 35.5  # french_hours, 59
    sheet.append(["people_welcomed", "department:59", str(YEAR), "actual", "sex=female", 70, None])
    # A month that the spreadsheet turned into a date.
    sheet.append(["people_welcomed", "commune:59350", datetime(YEAR, 3, 1), "target", None, "12", None])
    out = io.BytesIO()
    workbook.save(out)
    response = _upload(client, organisation, "filled.xlsx", out.getvalue())
    assert response.status_code == 302, response.content.decode()[-3000:]
    page = client.get(response["Location"]).content.decode()
    assert "4 values added and 0 replaced. 2 rows without a value were left out." in page
    stored = {
        (v.indicator.code, v.territory_code, v.period_kind, v.breakdown, v.kind): (v.value, v.comment)
        for v in IndicatorValue.objects.select_related("indicator")
    }
    assert stored == {
        ("people_welcomed", "59", "year", "", "actual"): (Decimal("120"), "From the register"),
        ("people_welcomed", "59", "year", "sex=female", "actual"): (Decimal("70"), ""),
        ("french_hours", "59", "year", "", "actual"): (Decimal("35.5"), ""),
        ("people_welcomed", "59350", "month", "", "target"): (Decimal("12"), ""),
    }
    assert all(v.organisation == organisation and v.entered_by == pro for v in IndicatorValue.objects.all())
    # The next template shows the values; sent again changed, they are replaced.
    workbook = load_workbook(io.BytesIO(_template(client, organisation, "xlsx").content))
    assert workbook["Values"]["F2"].value == 120
    workbook["Values"]["F2"] = 130
    out = io.BytesIO()
    workbook.save(out)
    response = _upload(client, organisation, "again.xlsx", out.getvalue())
    assert response.status_code == 302
    assert IndicatorValue.objects.get(indicator__code="people_welcomed", breakdown="", kind="actual").value == 130
    assert IndicatorValue.objects.count() == 4


def test_round_trip_csv_with_a_french_spreadsheets_decimal_comma(client, pro, organisation, indicators):
    text = _template(client, organisation, "csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    rows[3][5] = "12,5"  # french_hours, 59
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    response = _upload(client, organisation, "filled.csv", out.getvalue().encode("cp1252"))
    assert response.status_code == 302
    assert IndicatorValue.objects.get().value == Decimal("12.5")


def test_comma_separated_csv_is_read_too(client, pro, organisation, indicators):
    data = _csv_bytes([["people_welcomed", "department:62", "2025-Q1", "baseline", "", "9", "note"]], delimiter=",")
    assert _upload(client, organisation, "values.csv", data).status_code == 302
    value = IndicatorValue.objects.get()
    assert (value.territory_code, value.period_kind, value.kind, value.comment) == ("62", "quarter", "baseline", "note")


# --- Bad files: refused, nothing written --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "messages"),
    [
        (COLUMNS[:5] + ["comment"], ["Missing columns: value."]),
        (COLUMNS + ["notes"], ["Unexpected columns: notes."]),
        (["indicator", "territory", "period", "kind", "value"], ["Missing columns: breakdown, comment."]),
        (COLUMNS + ["value"], ["Repeated columns: value."]),
    ],
)
def test_missing_or_extra_columns_are_refused_with_the_list(client, pro, organisation, indicators, header, messages):
    row = ["people_welcomed", "department:59", "2025", "actual", "", "5", ""][: len(header)]
    response = _upload(client, organisation, "values.csv", _csv_bytes([row], header=header))
    assert response.status_code == 400
    page = response.content.decode()
    for message in messages:
        assert message in page
    assert "The expected columns are: indicator, territory, period, kind, breakdown, value, comment." in page
    assert not IndicatorValue.objects.exists()


def test_xlsx_with_missing_columns_is_refused(client, pro, organisation, indicators):
    workbook = Workbook()
    workbook.active.append(["indicator", "value"])
    workbook.active.append(["people_welcomed", 5])
    out = io.BytesIO()
    workbook.save(out)
    response = _upload(client, organisation, "values.xlsx", out.getvalue())
    assert response.status_code == 400
    assert "Missing columns: territory, period, kind, breakdown, comment." in response.content.decode()


def test_row_errors_are_listed_with_their_row_numbers_and_nothing_is_written(client, pro, organisation, indicators):
    rows = [
        ["people_welcomed", "department:59", "2025", "actual", "", "100", ""],  # row 2: fine
        ["people_welcomed", "department:59", "2025", "actual", "sex=female", "60", ""],  # row 3: fine
        ["people_welcomed", "department:93", "2025", "actual", "", "4", ""],  # row 4: outside
        ["french_hours", "department:59", "2025-13", "actual", "", "abc", ""],  # row 5: period, number
        ["computed_one", "department:59", "2025", "actual", "", "3", ""],  # row 6: computed
        ["people_welcomed", "department:59", "2025", "forecast", "", "3.5", ""],  # row 7: kind, whole number
        ["", "", "", "", "", "", ""],  # empty line, skipped
        ["people_welcomed", "department:59", "2025", "actual", "", "1", ""],  # row 9: same cell as row 2
    ]
    response = _upload(client, organisation, "values.csv", _csv_bytes(rows))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not imported: 7 errors. Nothing was saved." in page
    for row, text in [
        (4, "outside the departments of Association Rives"),
        (5, "is not a period"),
        (5, "“abc” is not a number."),
        (6, "computed from Maillage"),
        (7, "is not a kind of value"),
        (7, "give a whole number"),
        (9, "Same indicator, territory, period, kind and breakdown as row 2."),
    ]:
        assert f'<th scope="row" class="num">{row}</th>' in page
        assert text in page
    assert not IndicatorValue.objects.exists()


def test_breakdown_parts_exceeding_the_total_refuse_the_file(client, pro, organisation, indicators):
    rows = [
        ["people_welcomed", "department:59", "2025", "actual", "", "100", ""],
        ["people_welcomed", "department:59", "2025", "actual", "sex=female", "60", ""],
        ["people_welcomed", "department:59", "2025", "actual", "sex=male", "50", ""],
    ]
    response = _upload(client, organisation, "values.csv", _csv_bytes(rows))
    assert response.status_code == 400
    assert "add up to 110, more than the total 100" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_a_locked_period_refuses_the_file(client, pro, organisation, indicators):
    period_lock(actor=None, territory="department:62", period="2025")
    rows = [
        ["people_welcomed", "department:59", "2025", "actual", "", "100", ""],
        ["people_welcomed", "commune:62041", "2025-05", "actual", "", "3", ""],
    ]
    response = _upload(client, organisation, "values.csv", _csv_bytes(rows))
    assert response.status_code == 400
    assert "The period 2025 is locked for department:62" in response.content.decode()
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("values.txt", b"indicator;territory", "is not a CSV or XLSX file"),
        ("values.xlsx", b"indicator;territory;period", "is not a readable XLSX workbook"),
        ("values.xlsx", b"PK\x03\x04broken", "is not a readable XLSX workbook"),
        ("values.csv", b"", "The submitted file is empty."),
        ("values.csv", b"\n\n", "The file is empty."),
        (
            "values.csv",
            _csv_bytes([["people_welcomed", "department:59", "2025", "actual", "", "", ""]]),
            "no row with a value",
        ),
    ],
)
def test_files_that_cant_be_read_are_refused(client, pro, organisation, indicators, name, data, message):
    response = _upload(client, organisation, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_a_file_too_large_is_refused(client, pro, organisation, indicators, monkeypatch):
    monkeypatch.setattr("maillage.indicators.forms.entry.MAX_UPLOAD_BYTES", 100)
    data = _csv_bytes([["people_welcomed", "department:59", "2025", "actual", "", "5", "x" * 200]])
    response = _upload(client, organisation, "values.csv", data)
    assert response.status_code == 400
    assert "is larger than" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_an_organisation_of_which_the_user_is_not_a_member_is_refused(client, pro, organisation, indicators):
    other = OrganisationFactory(departments=["59"])
    data = _csv_bytes([["people_welcomed", "department:59", "2025", "actual", "", "5", ""]])
    response = _upload(client, other, "values.csv", data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_upload_page_lists_the_templates_of_each_organisation(client, pro, organisation):
    second = OrganisationFactory(name="Second association", departments=["59"])
    member("manager", second, user=pro)
    response = client.get(UPLOAD)
    page = response.content.decode()
    assert response.status_code == 200
    for org in (organisation, second):
        assert f"/indicators/entry/template.xlsx?organisation={org.pk}" in page
        assert f"/indicators/entry/template.csv?organisation={org.pk}" in page
