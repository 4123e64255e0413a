import re

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .enums import LANGUAGE_LABELS

ZONE_CODE = re.compile(r"^(\d{2}|\d[AB]|\d{3}|\d{5}|2[AB]\d{3})$")


def validate_opening_hours(value: str) -> None:
    """OpenStreetMap opening_hours syntax, e.g. "Mo-Fr 09:00-12:00,14:00-17:00"."""
    if not value:
        return
    try:
        opening_hours.OpeningHours(value)
    except Exception as error:  # the parser raises its own ParserError
        raise ValidationError(
            _("Opening hours must follow the OpenStreetMap syntax, for example “Mo-Fr 09:00-12:00”."),
            code="opening_hours",
        ) from error


def validate_zone_codes(values: list[str]) -> None:
    """Zone of eligibility: INSEE codes of communes (5), departments (2-3) or regions (2)."""
    bad = [v for v in values if not ZONE_CODE.match(v)]
    if bad:
        raise ValidationError(
            _("Unknown zone code(s): %(codes)s (use INSEE codes of communes, departments or regions)."),
            params={"codes": ", ".join(bad)},
            code="zone",
        )


def validate_languages(values: list[str]) -> None:
    bad = [v for v in values if v not in LANGUAGE_LABELS]
    if bad:
        raise ValidationError(_("Unknown language code(s): %(codes)s."), params={"codes": ", ".join(bad)})


def validate_latitude(value: float) -> None:
    if not -90 <= value <= 90:
        raise ValidationError(_("A latitude is between -90 and 90."))


def validate_longitude(value: float) -> None:
    if not -180 <= value <= 180:
        raise ValidationError(_("A longitude is between -180 and 180."))
