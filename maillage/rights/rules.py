"""Load and check the rule files of ``rules/`` (one YAML file per scheme, docs/rights.md).

A rule file holds the scheme's conditions, its legal sources, the documents to bring, the
kind of place to go, its "as of" date and its texts in English; ``rules/i18n/<lang>.yaml``
holds the texts in the other languages. Files are read once per process and checked
strictly: a misspelt key, a condition that does not compile or a text with an unknown
placeholder stops the loading with the file's name.
"""

from __future__ import annotations

import ast
import string
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from .enums import Category

RULES_DIR = Path(__file__).parent / "rules"
I18N_DIR = RULES_DIR / "i18n"

# Facts a condition or a text may name (facts.household_facts) and the helper functions.
FUNCTIONS = ("any_adult", "len", "min", "max")


class RuleError(Exception):
    pass


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    title: str
    url: HttpUrl


class Places(_Model):
    thematiques: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)


class Divergence(_Model):
    text: str
    url: HttpUrl


class OpenFisca(_Model):
    variables: list[str] = Field(min_length=1)
    divergences: list[Divergence] = Field(default_factory=list)


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: str | None = Field(None, alias="if")
    needs: list[str] = Field(default_factory=list)
    then: Literal["eligible", "maybe", "not_eligible"]
    reason: str

    @model_validator(mode="after")
    def _needs_means_maybe(self) -> Rule:
        if self.needs and self.then != "maybe":
            raise ValueError(
                "a rule with 'needs' is a check of missing answers: its 'then' must be 'maybe' "
                "(when its 'if' holds and a needed answer is unknown); put the decision in a next rule"
            )
        return self

    @field_validator("when")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ast.parse(value, mode="eval")
            except SyntaxError as exc:
                raise ValueError(f"the condition does not compile: {exc.msg}") from exc
        return value


class NoAmount(_Model):
    then: Literal["maybe", "not_eligible"]
    reason: str


class Scheme(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    as_of: date
    category: Category
    order: int = 100
    title: str
    summary: str
    where: str
    sources: list[Source] = Field(min_length=1)
    documents: dict[str, str] = Field(default_factory=dict)
    places: Places = Places()
    openfisca: OpenFisca | None = None
    rules: list[Rule] = Field(min_length=1)
    if_no_amount: NoAmount | None = None

    @model_validator(mode="after")
    def _checked(self) -> Scheme:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("two rules have the same id")
        if self.rules[-1].when is not None or self.rules[-1].needs:
            raise ValueError("the last rule must have no 'if' nor 'needs': it decides when no other rule does")
        if self.if_no_amount and not self.openfisca:
            raise ValueError("'if_no_amount' needs an 'openfisca' section")
        return self

    def texts(self) -> dict[str, Any]:
        """The English texts, in the shape of a translation file's entry."""
        reasons = {r.id: r.reason for r in self.rules}
        if self.if_no_amount:
            reasons["if_no_amount"] = self.if_no_amount.reason
        return {
            "title": self.title,
            "summary": self.summary,
            "where": self.where,
            "documents": dict(self.documents),
            "reasons": reasons,
        }


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _load_file(path: Path) -> Scheme:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        scheme = Scheme.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise RuleError(f"{path.name}: {exc}") from exc
    if scheme.id != path.stem:
        raise RuleError(f"{path.name}: the id {scheme.id!r} is not the file's name")
    return scheme


@cache
def schemes() -> tuple[Scheme, ...]:
    """Every scheme, in the order of the result page (category, then ``order``, then id)."""
    from .facts import FACT_NAMES

    loaded = [_load_file(p) for p in sorted(RULES_DIR.glob("*.yaml"))]
    categories = list(Category)
    for scheme in loaded:
        known = FACT_NAMES | {"amount"}
        for rule in scheme.rules:
            unknown = set(rule.needs) - FACT_NAMES
            if rule.when:
                names = {n.id for n in ast.walk(ast.parse(rule.when, mode="eval")) if isinstance(n, ast.Name)}
                unknown |= names - FACT_NAMES - set(FUNCTIONS) - {"True", "False", "None"}
            unknown |= placeholders(rule.reason) - known
            if unknown:
                raise RuleError(f"{scheme.id}.yaml, rule {rule.id}: unknown names {sorted(unknown)}")
    return tuple(sorted(loaded, key=lambda s: (categories.index(Category(s.category)), s.order, s.id)))


def scheme_ids() -> list[str]:
    return [s.id for s in schemes()]


@cache
def translations(lang: str) -> dict[str, Any]:
    """The texts of ``rules/i18n/<lang>.yaml`` ({} for English or a language without a file)."""
    path = I18N_DIR / f"{lang}.yaml"
    if lang == "en" or not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in data.items() if not k.startswith("_")}


@cache
def translation_meta(lang: str) -> dict[str, Any]:
    path = I18N_DIR / f"{lang}.yaml"
    if not path.exists():
        return {}
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("_meta", {})
