from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments share one SIREN and follow their own rule (sum of digits % 5).
LA_POSTE_SIREN = "356000000"


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits whose Luhn key is valid (SIREN 9 digits + NIC 5 digits)."""
    if len(value) != 14 or not value.isdigit():
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_format")
    if value.startswith(LA_POSTE_SIREN):
        if sum(int(c) for c in value) % 5 != 0:
            raise ValidationError(_("This SIRET number is not valid (wrong check key)."), code="siret_key")
        return
    if not luhn_valid(value[:9]) or not luhn_valid(value):
        raise ValidationError(_("This SIRET number is not valid (wrong check key)."), code="siret_key")
