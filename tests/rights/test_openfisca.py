"""OpenFisca-France: amounts, batches, and agreement of our RSA rule with its conditions.

Our rule files decide eligibility from the law; these tests check that, on the personas
where OpenFisca-France models the residence condition of the RSA (CASF L262-4 and L262-6),
both agree, and list the personas where they knowingly differ (recorded in rsa.yaml).
"""

from datetime import date

import pytest

from maillage.rights import openfisca
from maillage.rights.engine import evaluate, evaluate_many
from maillage.rights.schema import Answers

AS_OF = date(2026, 11, 1)


def household(status, **adult):
    return Answers.model_validate(
        {
            "department": "59",
            "commune": "59350",
            "household": {"adults": [{"age": 35, "residence_status": status, **adult}]},
            "housing": "rented",
            "rent_eur": 450,
            "has_address": True,
            "health_cover": "puma",
        }
    )


def raw_condition(answers):
    """OpenFisca's own ``rsa_condition_nationalite``, fed with the person's real situation."""
    from openfisca_core.simulation_builder import SimulationBuilder

    adult = answers.household.adults[0]
    nationality = {"french": "FR", "eu_citizen": "RO", "eu_family": "RO"}.get(adult.residence_status, "ZZ")
    years = adult.permit_years if adult.residence_status == "residence_permit" else (adult.months_in_france or 0) / 12
    situation = {
        "individus": {
            "p": {"nationalite": {"2026-11": nationality}, "duree_possession_titre_sejour": {"2026-11": years}}
        },
        "familles": {"f": {"parents": ["p"]}},
        "foyers_fiscaux": {"t": {"declarants": ["p"]}},
        "menages": {"m": {"personne_de_reference": ["p"]}},
    }
    simulation = SimulationBuilder().build_from_entities(openfisca._system(), situation)
    return bool(simulation.calculate("rsa_condition_nationalite", "2026-11")[0])


AGREE = [
    ("french", {}),
    ("eu_citizen", {"months_in_france": 2}),
    ("residence_permit", {"permit_years": 2, "permit_allows_work": True}),
    ("residence_permit", {"permit_years": 6, "permit_allows_work": True}),
    ("no_permit", {"months_in_france": 30}),
]
# The law exempts these from the five-year condition, OpenFisca does not (issue #2417).
DIFFER = [
    ("refugee", {}),
    ("subsidiary_protection", {}),
    ("stateless", {}),
]


@pytest.mark.parametrize(("status", "adult"), AGREE)
def test_our_rsa_residence_condition_agrees_with_openfisca(status, adult):
    answers = household(status, **adult)
    ours = evaluate(answers, lang="en", as_of=AS_OF, amounts=False).result("rsa")
    residence_refused = ours.status == "not_eligible" and ours.rule in {"no_permit", "permit_too_recent", "eu_recent"}
    assert raw_condition(answers) is not residence_refused, ours.rule


@pytest.mark.parametrize(("status", "adult"), DIFFER)
def test_known_divergences_are_recorded_and_the_amount_still_computed(status, adult):
    answers = household(status, **adult)
    assert raw_condition(answers) is False
    result = evaluate(answers, lang="en", as_of=AS_OF).result("rsa")
    assert result.status == "eligible"
    assert result.monthly_amount_eur and 300 < result.monthly_amount_eur < 1000
    assert any("2417" in note.url for note in result.notes)


def test_amounts_of_a_family_with_low_pay():
    answers = Answers.model_validate(
        {
            "department": "59",
            "commune": "59350",
            "household": {
                "adults": [
                    {"age": 40, "residence_status": "french", "working": True, "monthly_income_eur": 1100},
                    {"age": 38, "residence_status": "french"},
                ],
                "children": [{"age": 3}, {"age": 8}, {"age": 12, "in_school": True}],
            },
            "housing": "rented",
            "rent_eur": 700,
        }
    )
    [money] = openfisca.amounts([answers], as_of=AS_OF)
    assert money["ppa"] > 0
    assert money["af"] > 0
    assert money["aide_logement"] > 0


def test_a_batch_gives_the_same_amounts_as_one_by_one():
    people = [household("french"), household("refugee"), household("eu_citizen", working=True, monthly_income_eur=900)]
    one_by_one = [evaluate(a, lang="en", as_of=AS_OF) for a in people]
    batch = evaluate_many(people, lang="en", as_of=AS_OF)
    for single, batched in zip(one_by_one, batch, strict=True):
        assert [(r.scheme, r.status, r.monthly_amount_eur) for r in single.results] == [
            (r.scheme, r.status, r.monthly_amount_eur) for r in batched.results
        ]


def test_without_openfisca_there_is_no_amount(settings):
    settings.RIGHTS_OPENFISCA = False
    result = evaluate(household("refugee"), lang="en", as_of=AS_OF).result("rsa")
    assert result.status == "eligible"
    assert result.monthly_amount_eur is None
