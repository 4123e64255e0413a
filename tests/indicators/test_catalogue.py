"""The catalogue and seed 004's figures: normalised, loaded idempotently."""

from io import StringIO

import pytest
from django.core.management import call_command

from maillage.indicators import enums
from maillage.indicators.catalogue import read_catalogue
from maillage.indicators.computations import COMPUTATIONS
from maillage.indicators.models import AggregateValue, Indicator, IndicatorValue


def test_catalogue_is_normalised():
    entries = read_catalogue()
    assert len(entries) == 66
    for code, fields in entries.items():
        assert fields["definition_fr"] and fields["name_fr"], code
        assert fields["direction"] in enums.Direction.values
        assert set(fields["breakdowns"]) <= set(enums.Breakdown.values), code
        assert fields["eu_roma_objective"] in [*enums.EuRomaObjective.values, ""]
        if fields["source"] == enums.Source.COMPUTED:
            assert fields["computation"] in COMPUTATIONS, code
        else:
            assert fields["computation"] == ""
    assert entries["regional_copil_meetings"]["reference"].startswith("Bilan 2019-2020")
    assert entries["sites_with_water_access_share"]["source"] == enums.Source.ENTERED


@pytest.mark.django_db
def test_load_indicators_is_idempotent():
    out = StringIO()
    call_command("load_indicators", "--refresh", stdout=out)
    text = out.getvalue()
    assert "Indicators: 66 created, 0 updated." in text
    written = IndicatorValue.objects.filter(origin=enums.Origin.IMPORTED).count()
    assert written >= 100 and f"Seed values: {written} written" in text
    assert AggregateValue.objects.filter(territory_level="region", territory_code="32").exists()
    out = StringIO()
    call_command("load_indicators", stdout=out)
    assert "Indicators: 0 created, 0 updated." in out.getvalue()
    assert Indicator.objects.count() == 66
    assert IndicatorValue.objects.filter(origin=enums.Origin.IMPORTED).count() == written
    value = IndicatorValue.objects.get(
        indicator__code="funded_projects_beneficiaries", territory_code="59", kind="target"
    )
    assert value.value == 1174 and value.organisation is None
    # The seed's parts: economic + family residence permits add up into one part.
    cir = {
        v.breakdown: v.value
        for v in IndicatorValue.objects.filter(
            indicator__code="cir_signed", territory_code="32", period_start__year=2019
        )
    }
    assert cir == {
        "": 5915,
        "sex=male": 2591,
        "sex=female": 2462,
        "status=residence_permit": 3043,
        "status=refugee": 1679,
        "status=other": 331,
    }
    assert "skipped line 70: oepre_workshops academy amiens (not a territory)" in text
