import pytest
from django.core.exceptions import ValidationError

from maillage.organisations.validators import luhn_valid, validate_siret


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # Luhn-valid SIRET
        "35600000000051",  # La Poste: sum of digits multiple of 5
        "44306184100047",
    ],
)
def test_valid_siret(siret: str) -> None:
    validate_siret(siret)


@pytest.mark.parametrize("siret", ["73282932000075", "1234567890123", "7328293200007A", "35600000000048", ""])
def test_invalid_siret(siret: str) -> None:
    with pytest.raises(ValidationError):
        validate_siret(siret)


def test_luhn() -> None:
    assert luhn_valid("732829320")
    assert not luhn_valid("732829321")
