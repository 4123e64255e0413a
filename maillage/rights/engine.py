"""Evaluate a household's answers against every scheme.

``evaluate`` (one household) and ``evaluate_many`` (a batch, one OpenFisca simulation for
all) return plain dataclasses, the same for the web pages, the API and the saved results:

1. the facts are computed from the answers (``facts.household_facts``);
2. each scheme's rules are read from top to bottom, the first whose ``if`` holds decides
   (a rule whose ``needs`` are unknown answers ``maybe`` with its reason);
3. for a scheme computed by OpenFisca-France, an ``eligible`` household gets the monthly
   amount, and ``if_no_amount`` decides when the amount is zero;
4. texts are taken in the asked language (``rules/i18n``), English when missing, and their
   ``{placeholders}`` are filled with the facts.

Places (the nearest directory services) are added by ``places.attach_places``, one query for
all schemes, only where a page or the API shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from simpleeval import EvalWithCompoundTypes

from . import rules as rules_module
from .facts import any_adult, household_facts
from .schema import Answers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceLink:
    title: str
    url: str


@dataclass(frozen=True)
class PlaceLink:
    id: int
    name: str
    distance_km: float | None
    address: str = ""
    url: str = ""


@dataclass
class SchemeResult:
    scheme: str
    category: str
    title: str
    summary: str
    where: str
    status: str
    reasons: list[str]
    sources: list[SourceLink]
    documents: list[str]
    monthly_amount_eur: float | None = None
    places: list[PlaceLink] = field(default_factory=list)
    notes: list[SourceLink] = field(default_factory=list)  # known divergences of OpenFisca
    rule: str = ""  # id of the deciding rule (for tests and reviewers)


@dataclass
class Evaluation:
    as_of: date
    lang: str
    answers: Answers
    results: list[SchemeResult]

    def by_status(self, status: str) -> list[SchemeResult]:
        return [r for r in self.results if r.status == status]

    def result(self, scheme: str) -> SchemeResult:
        return next(r for r in self.results if r.scheme == scheme)


class _Facts(dict):
    """Facts for ``str.format_map``: numbers shown the local way, unknown ones as '?'."""

    def __init__(self, facts: dict[str, Any], lang: str) -> None:
        super().__init__(facts)
        self.lang = lang

    def __getitem__(self, key: str) -> Any:
        value = super().get(key)
        if value is None:
            return "?"
        if isinstance(value, float):
            return number_format(round(value), use_l10n=True)
        return value

    def __missing__(self, key: str) -> str:
        return "?"


def _text(lang: str, scheme_id: str, path: tuple[str, ...], english: str) -> str:
    node: Any = rules_module.translations(lang).get(scheme_id, {})
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, str) and node.strip() else english


def _evaluator(facts: dict[str, Any], answers: Answers) -> EvalWithCompoundTypes:
    """The conditions' evaluator for one household (shared by all its schemes)."""
    return EvalWithCompoundTypes(
        names=facts,
        functions={"any_adult": lambda **kw: any_adult(answers, **kw), "len": len, "min": min, "max": max},
    )


def _decide(
    scheme: rules_module.Scheme, facts: dict[str, Any], evaluator: EvalWithCompoundTypes
) -> tuple[rules_module.Rule, str]:
    for rule in scheme.rules:
        try:
            holds = rule.when is None or bool(evaluator.eval(rule.when))
        except TypeError:  # the condition met an unknown answer (None) without a 'needs' check
            logger.warning("Rule %s.%s met an unknown answer", scheme.id, rule.id)
            return rule, "maybe"
        if not holds:
            continue
        if rule.needs:  # a missing-answer check: 'maybe' only when a needed answer is unknown
            if any(facts.get(name) is None for name in rule.needs):
                return rule, "maybe"
            continue
        return rule, rule.then
    raise AssertionError("the last rule has no condition")  # checked when loading


def evaluate_many(
    batch: list[Answers], *, lang: str = "fr", as_of: date | None = None, amounts: bool = True
) -> list[Evaluation]:
    """Evaluate several households; OpenFisca runs once for the whole batch."""
    as_of = as_of or timezone.localdate()
    schemes = rules_module.schemes()
    computed: list[dict[str, float]] = [{} for _ in batch]
    if amounts:
        from . import openfisca

        computed = openfisca.amounts(batch, as_of=as_of)
    evaluations = []
    for answers, money in zip(batch, computed, strict=True):
        facts = household_facts(answers, as_of)
        evaluator = _evaluator(facts, answers)
        results = []
        for scheme in schemes:
            rule, status = _decide(scheme, facts, evaluator)
            reason_key = rule.id
            amount: float | None = None
            if scheme.openfisca and status == "eligible" and amounts:
                values = [money.get(v) for v in scheme.openfisca.variables]
                if all(v is not None for v in values):
                    amount = round(sum(v for v in values if v is not None), 2)
                    if amount <= 0 and scheme.if_no_amount:
                        status, reason_key, amount = scheme.if_no_amount.then, "if_no_amount", None
                    elif amount <= 0:
                        amount = None
            english = scheme.texts()
            values_for_text = _Facts({**facts, "amount": amount}, lang)
            reason = _text(lang, scheme.id, ("reasons", reason_key), english["reasons"][reason_key])
            results.append(
                SchemeResult(
                    scheme=scheme.id,
                    category=scheme.category,
                    title=_text(lang, scheme.id, ("title",), scheme.title),
                    summary=_text(lang, scheme.id, ("summary",), scheme.summary),
                    where=_text(lang, scheme.id, ("where",), scheme.where),
                    status=status,
                    reasons=[reason.format_map(values_for_text)],
                    sources=[SourceLink(s.title, str(s.url)) for s in scheme.sources],
                    documents=[
                        _text(lang, scheme.id, ("documents", key), text) for key, text in scheme.documents.items()
                    ],
                    monthly_amount_eur=amount,
                    notes=[SourceLink(d.text, str(d.url)) for d in scheme.openfisca.divergences]
                    if scheme.openfisca
                    else [],
                    rule=reason_key,
                )
            )
        evaluations.append(Evaluation(as_of=as_of, lang=lang, answers=answers, results=results))
    return evaluations


def evaluate(answers: Answers, *, lang: str = "fr", as_of: date | None = None, amounts: bool = True) -> Evaluation:
    return evaluate_many([answers], lang=lang, as_of=as_of, amounts=amounts)[0]
