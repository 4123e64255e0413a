"""What a household answers: one model for the questionnaire, the API and saved results.

Bounds refuse impossible values (an age of -3, 40 children, an income of "abc") and unknown
fields; the API answers 422 with the field errors, the web questionnaire shows them by the
question. ``None`` means "I don't know": the rules then answer ``maybe`` and say what is
missing.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .enums import FrenchLevel, HealthCover, Housing, ResidenceStatus

MAX_ADULTS = 12
MAX_CHILDREN = 20
MAX_INCOME = 100_000
MAX_RENT = 20_000

Money = Annotated[float, Field(ge=0, le=MAX_INCOME, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)


class Adult(_Strict):
    age: int = Field(ge=16, le=120, description="Age in years (16 or more).")
    residence_status: ResidenceStatus
    permit_years: int = Field(
        0, ge=0, le=80, description="Years the person has held a residence permit (residence_permit status)."
    )
    permit_allows_work: bool = Field(False, description="The residence permit allows work.")
    months_in_france: int | None = Field(
        None, ge=0, le=1440, description="Months lived in France; null when not known."
    )
    working: bool = Field(False, description="The person works (employed or self-employed).")
    monthly_income_eur: Money = Field(0, description="Net monthly income of the person, in euros.")
    french_level: FrenchLevel | None = Field(None, description="Level of spoken French; null when not asked.")


class Child(_Strict):
    age: int = Field(ge=0, le=25, description="Age in years.")
    in_school: bool = Field(False, description="The child goes to school or to a nursery school.")


class Household(_Strict):
    adults: list[Adult] = Field(min_length=1, max_length=MAX_ADULTS)
    children: list[Child] = Field(default_factory=list, max_length=MAX_CHILDREN)


class Answers(_Strict):
    department: str = Field(min_length=2, max_length=3, pattern=r"^(\d{2}|2A|2B|97\d)$")
    commune: str | None = Field(None, pattern=r"^(\d{5}|2[AB]\d{3})$", description="INSEE code of the commune.")
    household: Household
    housing: Housing
    rent_eur: Annotated[float, Field(ge=0, le=MAX_RENT, allow_inf_nan=False)] = 0
    has_address: bool | None = Field(
        None, description="The household receives mail at a stable address or a domiciliation; null when not known."
    )
    health_cover: HealthCover | None = None

    @field_validator("commune")
    @classmethod
    def _commune_in_department(cls, value: str | None, info: ValidationInfo) -> str | None:
        department = info.data.get("department")
        if value and department and not value.startswith(department[:2]):
            raise ValueError("The commune is not in the department.")
        return value

    @field_validator("rent_eur")
    @classmethod
    def _rent_only_when_rented(cls, value: float, info: ValidationInfo) -> float:
        if value and info.data.get("housing") != Housing.RENTED:
            raise ValueError("A rent is only asked for a rented home.")
        return value

    @property
    def applicant(self) -> Adult:
        return self.household.adults[0]
