"""Exports: the dashboard's and an indicator's tables (CSV, XLSX), suppressed for users outside
the State services; the open data, always suppressed, and its description."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.indicators.test_catalogue_pages import region_values
from tests.indicators.test_dashboard import QUERY, welcomed
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_user():
    return member("manager", OrganisationFactory(departments=["59"], kind="state_service"))


@pytest.fixture
def partner_user():
    return member("professional", OrganisationFactory(departments=["59"]))


def read_csv(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_dashboard_csv_for_a_state_user(client, state_user):
    welcomed()
    client.force_login(state_user)
    response = client.get(reverse("indicators:export", args=["csv"]), QUERY)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="maillage-dashboard-department-59-2025')
    rows = read_csv(response)
    assert rows[0][:7] == ["Domain", "Code", "Indicator", "Unit", "Breakdown", "Period", "Actual"]
    total = next(r for r in rows if r[1] == "people_welcomed" and r[4] == "Total")
    assert total[5:10] == ["2025", "120", "150", "80", "100"]
    women = next(r for r in rows if r[4] == "Sex: Women")
    assert women[6] == "3"
    assert not any("Statistical confidentiality" in r[0] for r in rows)


def test_dashboard_csv_suppressed_for_a_partner(client, partner_user):
    welcomed()
    client.force_login(partner_user)
    rows = read_csv(client.get(reverse("indicators:export", args=["csv"]), QUERY))
    assert next(r for r in rows if r[4] == "Sex: Women")[6] == "< 5"
    assert next(r for r in rows if r[4] == "Sex: Men")[6] == "s"
    assert next(r for r in rows if r[4] == "Total")[6] == "120"
    assert any("Statistical confidentiality" in r[0] for r in rows)


def test_dashboard_xlsx(client, partner_user):
    welcomed()
    client.force_login(partner_user)
    response = client.get(reverse("indicators:export", args=["xlsx"]), QUERY)
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Domain"
    assert next(r for r in rows if r[4] == "Total")[6] == 120
    assert next(r for r in rows if r[4] == "Sex: Women")[6] == "< 5"
    assert "Notes" in workbook.sheetnames


def test_indicator_table_export(client, partner_user):
    region_values()
    client.force_login(partner_user)
    response = client.get(
        reverse("indicators:export", args=["csv"]),
        {"territory": "region:32", "year": "2025", "indicator": "households_followed"},
    )
    rows = read_csv(response)
    assert rows[0] == ["Territory", "Code", "Kind of value", "2021", "2022", "2023", "2024", "2025"]
    by_code = {(r[1], r[2]): r for r in rows[1:] if len(r) > 2}
    assert by_code[("region:32", "Actual")][-1] == "10"
    assert by_code[("department:62", "Actual")][-1] == "< 5"
    assert by_code[("department:59", "Actual")][-1] == "s"
    assert by_code[("region:32", "Target")][-1] == "20"


def test_export_bad_format_or_indicator(client, state_user):
    client.force_login(state_user)
    assert client.get(reverse("indicators:export", args=["pdf"]), QUERY).status_code == 404
    assert client.get(reverse("indicators:export", args=["csv"]), {**QUERY, "indicator": "nope"}).status_code == 404


def test_open_data_is_public_and_always_suppressed(client):
    region_values()
    welcomed()
    response = client.get(reverse("indicators:open_data"))
    assert response.status_code == 200
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["indicator", "indicator_name", "domain"] and header[-2:] == ["value", "suppressed"]
    data = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    cell = {(r["indicator"], r["territory_code"], r["period"], r["kind"], r["breakdown"]): r for r in data}
    assert cell[("households_followed", "32", "2025", "actual", "")]["value"] == "10"
    assert cell[("households_followed", "32", "2025", "actual", "")]["territory_name"] == "Hauts-de-France"
    assert cell[("households_followed", "62", "2025", "actual", "")] | {} == {
        **cell[("households_followed", "62", "2025", "actual", "")],
        "value": "",
        "suppressed": "primary",
    }
    assert cell[("households_followed", "59", "2025", "actual", "")]["suppressed"] == "secondary"
    assert cell[("households_followed", "32", "2025", "target", "")]["value"] == "20"
    assert cell[("people_welcomed", "59", "2025", "actual", "sex=female")]["suppressed"] == "primary"
    assert cell[("people_welcomed", "59", "2025-Q1", "actual", "")]["value"] == "30"
    assert all(r["territory_level"] in ("region", "department") for r in data)


def test_open_data_leaves_out_communes_and_months(client):
    from tests.indicators.factories import AggregateValueFactory

    AggregateValueFactory(territory_level="commune", territory_code="59350", value=50)
    AggregateValueFactory(period_kind="month", period_start=date(2025, 3, 1), value=50)
    rows = read_csv(client.get(reverse("indicators:open_data")))
    assert len(rows) == 1


def test_open_data_schema(client):
    response = client.get(reverse("indicators:open_data_schema"))
    schema = response.json()
    assert [f["name"] for f in schema["fields"]][-2:] == ["value", "suppressed"]
    assert schema["small_cell_threshold"] == 5
