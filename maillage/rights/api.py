"""Public API of the rights portal: ``POST /api/v1/rights/evaluate``.

No login, nothing stored, rate limited per client address (``RIGHTS_API_RATE``). The body
is ``schema.Answers`` (unknown fields and impossible values answer 422 with the field
errors); ``?lang=`` chooses the language of the texts (the portal's languages).
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema
from ninja.throttling import SimpleRateThrottle

from maillage.core.http import client_ip

from . import engine, places, selectors
from .schema import Answers

router = Router(tags=["rights"])

LANG_CODES = tuple(code for code, _name in settings.LANGUAGES)


class ClientThrottle(SimpleRateThrottle):
    """Counts requests per client address (the proxy-aware ``client_ip``), logged in or not.

    The rate is read from ``settings.RIGHTS_API_RATE`` at each request (tests change it).
    """

    scope = "rights"

    def __init__(self) -> None:
        super().__init__(settings.RIGHTS_API_RATE)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.RIGHTS_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class LangQuery(Schema):
    lang: Literal[LANG_CODES] = Field("fr", description="Language of the texts.")  # type: ignore[valid-type]


class SourceOut(Schema):
    title: str
    url: str


class PlaceOut(Schema):
    id: int
    name: str
    distance_km: float | None
    address: str = ""
    url: str = ""


class ResultOut(Schema):
    scheme: str
    title: str
    category: str
    status: Literal["eligible", "maybe", "not_eligible"]
    reasons: list[str]
    sources: list[SourceOut]
    documents: list[str]
    where: str
    monthly_amount_eur: float | None
    places: list[PlaceOut]


class EvaluationOut(Schema):
    as_of: str
    lang: str
    results: list[ResultOut]


@router.post(
    "/rights/evaluate",
    auth=None,
    response=EvaluationOut,
    throttle=[ClientThrottle()],
    summary="Which schemes a household can claim, why, with which documents and where",
)
def evaluate(request: HttpRequest, payload: Answers, params: Query[LangQuery]) -> dict:
    answers = payload
    selectors.check_place(answers)  # an unknown commune or department: 422
    with translation.override(params.lang):
        evaluation = engine.evaluate(answers, lang=params.lang)
        places.attach_places(evaluation)
        return {
            "as_of": evaluation.as_of.isoformat(),
            "lang": params.lang,
            "results": [
                {**r.__dict__, "sources": [s.__dict__ for s in r.sources], "places": [p.__dict__ for p in r.places]}
                for r in evaluation.results
            ],
        }


__all__ = ["router"]
