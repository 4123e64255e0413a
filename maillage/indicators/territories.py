"""Territories of the indicators: a level and an INSEE code ("department", "59"), written
"department:59" in URLs, forms and files."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from maillage.territory.models import EPCI, Commune, Department, Region

from .enums import TerritoryLevel

_MODELS = {
    TerritoryLevel.REGION: Region,
    TerritoryLevel.DEPARTMENT: Department,
    TerritoryLevel.EPCI: EPCI,
    TerritoryLevel.COMMUNE: Commune,
}


@dataclass(frozen=True)
class Territory:
    level: str
    code: str
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.level}:{self.code}"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.key

    @classmethod
    def parse(cls, text: str) -> Territory:
        """Read "department:59" (checked against the territory referential); ValueError otherwise."""
        level, _sep, code = (text or "").strip().partition(":")
        model = _MODELS.get(level)  # type: ignore[call-overload]
        if model is None or not code:
            raise ValueError(
                _("“%(text)s” is not a territory: write e.g. department:59 or region:32.") % {"text": text}
            )
        found = model.objects.filter(pk=code).values_list("name", flat=True).first()
        if found is None:
            raise ValueError(_("Unknown territory: %(text)s.") % {"text": text})
        return cls(level, code, found)

    def department_codes(self) -> set[str]:
        """The departments this territory is in or covers (for the policy)."""
        if self.level == TerritoryLevel.REGION:
            return set(Department.objects.filter(region_id=self.code).values_list("code", flat=True))
        if self.level == TerritoryLevel.DEPARTMENT:
            return {self.code}
        if self.level == TerritoryLevel.EPCI:
            return set(Commune.objects.filter(epci_id=self.code).values_list("department_id", flat=True).distinct())
        return set(Commune.objects.filter(pk=self.code).values_list("department_id", flat=True))

    def ancestors(self) -> list[Territory]:
        """The territories containing this one: its department(s) and region (EPCI: those of its
        communes)."""
        departments = self.department_codes() if self.level != TerritoryLevel.REGION else set()
        result = [Territory(TerritoryLevel.DEPARTMENT, d) for d in sorted(departments) if d != self.code]
        regions = set(Department.objects.filter(code__in=departments).values_list("region_id", flat=True))
        result += [Territory(TerritoryLevel.REGION, r) for r in sorted(regions)]
        return result
