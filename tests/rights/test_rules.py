"""The rule files: they load, every scheme asked by the issue exists, texts are complete."""

import pytest
from django.conf import settings

from maillage.rights import rules
from maillage.rights.engine import evaluate
from maillage.rights.schema import Answers

REQUIRED = {
    "domiciliation", "puma", "css", "ame", "scolarisation", "cantine_tarif_social", "rsa", "prime_activite",
    "aide_logement", "allocations_familiales", "ada", "cir", "cours_francais", "france_travail_inscription", "cej",
    "dalo", "hebergement_urgence", "aide_juridictionnelle", "bourses_college_lycee",
}  # fmt: skip
PORTAL_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def test_every_required_scheme_has_a_rule_file():
    ids = set(rules.scheme_ids())
    assert REQUIRED <= ids
    assert len(ids - REQUIRED) >= 1, "a youth scheme (pass_sport or another) is expected"


def test_every_scheme_cites_a_legal_source_with_a_link_and_an_as_of_date():
    for scheme in rules.schemes():
        assert scheme.sources, scheme.id
        for source in scheme.sources:
            assert source.url.scheme == "https", (scheme.id, source.url)
            assert source.url.host.endswith(("legifrance.gouv.fr", "service-public.fr", "github.com", ".gouv.fr")), (
                scheme.id,
                source.url,
            )
        assert scheme.as_of.year >= 2025, scheme.id


def test_places_name_real_directory_vocabularies():
    from data_inclusion.schema.v1 import Thematique, TypeService

    themes, types = {t.value for t in Thematique}, {t.value for t in TypeService}
    for scheme in rules.schemes():
        assert set(scheme.places.thematiques) <= themes, scheme.id
        assert set(scheme.places.types) <= types, scheme.id


def _english_keys(scheme):
    texts = scheme.texts()
    keys = {("title",), ("summary",), ("where",)}
    keys |= {("documents", k) for k in texts["documents"]}
    keys |= {("reasons", k) for k in texts["reasons"]}
    return texts, keys


@pytest.mark.parametrize("lang", PORTAL_LANGUAGES)
def test_rule_texts_are_translated_with_the_same_placeholders(lang):
    translated = rules.translations(lang)
    assert rules.translation_meta(lang).get("language") == lang
    problems = []
    for scheme in rules.schemes():
        english, keys = _english_keys(scheme)
        entry = translated.get(scheme.id, {})
        for key in keys:
            source = english[key[0]] if len(key) == 1 else english[key[0]][key[1]]
            node = entry.get(key[0]) if len(key) == 1 else (entry.get(key[0]) or {}).get(key[1])
            if not isinstance(node, str) or not node.strip():
                problems.append(f"{scheme.id}.{'.'.join(key)}: missing")
            elif rules.placeholders(node) != rules.placeholders(source):
                problems.append(f"{scheme.id}.{'.'.join(key)}: placeholders differ")
    assert not problems, problems[:20]


def test_translations_say_whether_a_human_reviewed_them():
    for lang in PORTAL_LANGUAGES:
        assert "reviewed" in rules.translation_meta(lang), lang


def test_a_rule_file_with_an_unknown_name_is_refused(tmp_path, monkeypatch):
    bad = (rules.RULES_DIR / "rsa.yaml").read_text().replace("age < 25", "agee < 25")
    (tmp_path / "rsa.yaml").write_text(bad)
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    rules.schemes.cache_clear()
    try:
        with pytest.raises(rules.RuleError, match="agee"):
            rules.schemes()
    finally:
        monkeypatch.undo()
        rules.schemes.cache_clear()


def test_a_rule_file_with_a_misspelt_key_is_refused(tmp_path, monkeypatch):
    bad = (rules.RULES_DIR / "rsa.yaml").read_text().replace("documents:", "documens:")
    (tmp_path / "rsa.yaml").write_text(bad)
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    rules.schemes.cache_clear()
    try:
        with pytest.raises(rules.RuleError, match="documens"):
            rules.schemes()
    finally:
        monkeypatch.undo()
        rules.schemes.cache_clear()


def test_reasons_are_filled_with_the_answers():
    answers = Answers.model_validate(
        {
            "department": "59",
            "household": {"adults": [{"age": 30, "residence_status": "residence_permit", "permit_years": 2,
                                      "permit_allows_work": True}]},
            "housing": "hosted",
        }
    )  # fmt: skip
    result = evaluate(answers, lang="en", amounts=False).result("rsa")
    assert result.status == "not_eligible"
    assert "2 years" in result.reasons[0]
    assert "{" not in " ".join(result.reasons)


def test_the_fact_names_are_the_facts_computed():
    from datetime import date

    from maillage.rights.facts import FACT_NAMES, household_facts

    answers = Answers.model_validate(
        {"department": "59", "household": {"adults": [{"age": 30, "residence_status": "french"}]}, "housing": "hosted"}
    )
    assert set(household_facts(answers, date(2026, 11, 1))) == FACT_NAMES
