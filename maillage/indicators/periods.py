"""Periods: a month, a quarter or a year, written "2024-03", "2024-Q1" or "2024"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .enums import PeriodKind

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "2024", "2024-Q1" or "2024-03"; ValueError with a clear message otherwise."""
        text = (text or "").strip()
        if m := _YEAR.match(text):
            return cls(PeriodKind.YEAR, date(int(m[1]), 1, 1))
        if m := _QUARTER.match(text):
            return cls(PeriodKind.QUARTER, date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1))
        if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
            return cls(PeriodKind.MONTH, date(int(m[1]), int(m[2]), 1))
        raise ValueError(_("“%(text)s” is not a period: write 2024, 2024-Q1 or 2024-03.") % {"text": text})

    @classmethod
    def of(cls, kind: str, start: date) -> Period:
        """The period of this kind that contains ``start``."""
        if kind == PeriodKind.YEAR:
            return cls(kind, date(start.year, 1, 1))
        if kind == PeriodKind.QUARTER:
            return cls(kind, date(start.year, 3 * ((start.month - 1) // 3) + 1, 1))
        return cls(PeriodKind.MONTH, date(start.year, start.month, 1))

    @property
    def end(self) -> date:
        """The last day of the period."""
        months = {str(PeriodKind.YEAR): 12, str(PeriodKind.QUARTER): 3}.get(self.kind, 1)
        month = self.start.month - 1 + months
        first_after = date(self.start.year + month // 12, month % 12 + 1, 1)
        return first_after - timedelta(days=1)

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def __str__(self) -> str:
        return self.code

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def parent(self, kind: str) -> Period:
        return Period.of(kind, self.start)

    def children(self, kind: str) -> list[Period]:
        """The periods of ``kind`` inside this one, in order."""
        step = {str(PeriodKind.MONTH): 1, str(PeriodKind.QUARTER): 3, str(PeriodKind.YEAR): 12}[kind]
        result = []
        current = self.start
        while current <= self.end:
            result.append(Period(kind, current))
            month = current.month - 1 + step
            current = date(current.year + month // 12, month % 12 + 1, 1)
        return result
