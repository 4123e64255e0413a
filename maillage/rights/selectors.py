"""Reads of the rights portal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.territory.models import Commune, Department

from .schema import Answers


def check_place(answers: Answers) -> None:
    """Refuse a department or a commune that the territory tables do not know."""
    if not Department.objects.filter(code=answers.department).exists():
        raise ValidationError({"department": _("Unknown department: %(code)s") % {"code": answers.department}})
    if answers.commune and not Commune.objects.filter(code=answers.commune, department_id=answers.department).exists():
        raise ValidationError(
            {"commune": _("Unknown commune in this department: %(code)s") % {"code": answers.commune}}
        )
