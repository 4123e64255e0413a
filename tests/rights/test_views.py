"""The rights questionnaire and its results, without JavaScript: every step by GET and POST
(303 to the next step), the back button, expired tokens, errors by the question, the result,
saved links, e-mail, purge, mediator mode and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.rights import rules, services, state
from maillage.rights.models import SavedEvaluation
from tests.accounts.factories import UserFactory
from tests.conftest import verified_login
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.rights.factories import WALK, SavedEvaluationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_without_openfisca(settings: Any, client: Any) -> None:
    # English pages: the assertions read the source strings, whatever the French catalogue says.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.RIGHTS_OPENFISCA = False


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("s", [""])[0]


def walk(
    client: Any, steps: list[tuple[str, dict[str, str]]] = WALK, *, complete: bool = True
) -> tuple[str, list[str]]:
    """Answer every screen like a browser without JavaScript; returns the summary URL and the tokens."""
    url = reverse("rights:step", args=["lieu"])
    tokens = [""]
    for slug, data in steps:
        assert urlparse(url).path == reverse("rights:step", args=[slug])
        page = client.get(url)
        assert page.status_code == 200
        response = client.post(url, {**data, "s": token_of(url)})
        assert response.status_code == 303, response.content.decode()[:3000]
        url = response["Location"]
        tokens.append(token_of(url))
    if complete:
        assert urlparse(url).path == reverse("rights:step", args=["recapitulatif"])
    return url, tokens


def test_start_page_is_public(client: Any) -> None:
    response = client.get(reverse("rights:start"))
    assert response.status_code == 200
    assert "Mediator mode" not in response.content.decode()
    assert reverse("rights:step", args=["lieu"]) in response.content.decode()


def test_full_walk_to_the_result(client: Any) -> None:
    summary_url, _tokens = walk(client)
    summary = client.get(summary_url)
    assert summary.status_code == 200
    text = summary.content.decode()
    assert "Lille" in text and "Step 8 of 9" in text
    assert text.count("r=1") >= 7  # a "change" link per screen
    assert reverse("rights:result") + "?s=" in text
    result_url = reverse("rights:result") + "?s=" + token_of(summary_url)
    result = client.get(result_url)
    assert result.status_code == 200
    assert result["Cache-Control"] == "private, no-store" or "no-store" in result["Cache-Control"]
    assert not SavedEvaluation.objects.exists()


def test_step_pages_progress_and_cache_headers(client: Any) -> None:
    response = client.get(reverse("rights:step", args=["lieu"]))
    text = response.content.decode()
    assert "Step 1 of" in text and "<progress" in text
    assert "no-store" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_step_three_of_nine(client: Any) -> None:
    _url, tokens = walk(client, WALK[:2], complete=False)
    response = client.get(reverse("rights:step", args=["adulte-1"]) + "?s=" + tokens[2])
    assert "Step 3 of 9" in response.content.decode()


def test_back_shows_earlier_answers(client: Any) -> None:
    _url, tokens = walk(client)
    # The token after the household screen: the household screen shows 1 adult and 1 child.
    page = client.get(reverse("rights:step", args=["foyer"]) + "?s=" + tokens[2])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="adults" value="1"' in text and 'name="children" value="1"' in text
    adult = client.get(reverse("rights:step", args=["adulte-1"]) + "?s=" + tokens[3]).content.decode()
    assert 'name="age" value="34"' in adult
    assert 'value="eu_citizen" id="id_residence_status_1" checked' in adult


def test_change_from_the_summary_goes_back_to_it(client: Any) -> None:
    summary_url, _tokens = walk(client)
    change = reverse("rights:step", args=["logement"]) + f"?s={token_of(summary_url)}&r=1"
    page = client.get(change)
    assert 'name="r" value="1"' in page.content.decode()
    response = client.post(change, {"housing": "rented", "rent_eur": "450", "s": token_of(summary_url), "r": "1"})
    assert response.status_code == 303
    assert urlparse(response["Location"]).path == reverse("rights:step", args=["recapitulatif"])
    assert state.decode(token_of(response["Location"]))["rent_eur"] == 450
    # One more adult: the new adult's screen comes before the summary.
    change = reverse("rights:step", args=["foyer"]) + f"?s={token_of(response['Location'])}&r=1"
    response = client.post(change, {"adults": "2", "children": "1", "s": token_of(change), "r": "1"})
    assert urlparse(response["Location"]).path == reverse("rights:step", args=["adulte-2"])


def test_tampered_and_expired_tokens(client: Any) -> None:
    _url, tokens = walk(client, WALK[:2], complete=False)
    tampered = tokens[2][:-4] + ("AAAA" if not tokens[2].endswith("AAAA") else "BBBB")
    response = client.get(reverse("rights:step", args=["adulte-1"]) + "?s=" + tampered)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    later = timezone.now().timestamp() + state.MAX_AGE_SECONDS + 60
    with mock.patch("time.time", return_value=later):
        response = client.get(reverse("rights:step", args=["adulte-1"]) + "?s=" + tokens[2])
    assert response.status_code == 410
    assert client.get(reverse("rights:result") + "?s=garbage").status_code == 410


def test_errors_shown_on_the_right_step(client: Any) -> None:
    url = reverse("rights:step", args=["lieu"])
    response = client.post(url, {"department": "59", "commune": "59000"})
    foyer = response["Location"]
    response = client.post(foyer, {"adults": "1", "children": "40", "s": token_of(foyer)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is a problem" in text and 'href="#id_children"' in text
    assert 'aria-invalid="true"' in text and "id_children_error" in text
    response = client.post(foyer, {"adults": "1", "children": "0", "s": token_of(foyer)})
    adult_url = response["Location"]
    data = dict(WALK[2][1], age="200", s=token_of(adult_url))
    response = client.post(adult_url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "120 or less" in text and "id_age_error" in text


def test_final_validation_errors_point_to_the_step(client: Any) -> None:
    data = {
        "department": "59",
        "commune": "62041",  # not in 59
        "adults_count": 1,
        "children_count": 0,
        "adults": [{"age": 30, "residence_status": "french"}],
        "children": [],
        "housing": "street",
        "rent_eur": 0,
        "has_address": "no",
        "health_cover": "none",
    }
    token = state.encode(data)
    response = client.get(reverse("rights:step", args=["recapitulatif"]) + "?s=" + token)
    text = response.content.decode()
    assert "There is a problem" in text
    assert reverse("rights:step", args=["lieu"]) in text
    assert client.get(reverse("rights:result") + "?s=" + token).status_code == 302


def test_ambiguous_commune_offers_a_choice(client: Any) -> None:
    url = reverse("rights:step", args=["lieu"])
    response = client.post(url, {"department": "59", "commune": "Saint"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="commune_code"' in text
    code = text.split('name="commune_code" value="')[1].split('"')[0]
    response = client.post(url, {"department": "59", "commune": "Saint", "commune_code": code})
    assert response.status_code == 303
    assert state.decode(token_of(response["Location"]))["commune"] == code


def test_result_lists_every_scheme(client: Any) -> None:
    summary_url, _tokens = walk(client)
    response = client.get(reverse("rights:result") + "?s=" + token_of(summary_url))
    text = response.content.decode()
    results = response.context["evaluation"].results
    assert len(results) == len(rules.schemes())
    for result in results:
        assert result.title in text.replace("&#x27;", "'").replace("&quot;", '"')
    assert "<details" in text or not response.context["evaluation"].by_status("not_eligible")
    printable = client.get(reverse("rights:result_print") + "?s=" + token_of(summary_url))
    assert printable.status_code == 200 and "<details" not in printable.content.decode()


def test_save_link_delete(client: Any) -> None:
    summary_url, _tokens = walk(client)
    response = client.post(reverse("rights:save"), {"s": token_of(summary_url)})
    assert response.status_code == 303
    link = response["Location"]
    clear = link.rstrip("/").split("/")[-1]
    saved = SavedEvaluation.objects.get()
    assert saved.token_hash == services.token_hash(clear) and clear not in saved.token_hash
    assert saved.expires_at > timezone.now() + timedelta(days=29)
    entry = AuditEntry.objects.get(object_type="rights.savedevaluation", action="create")
    # (The expiry's timestamp may hold the digits "34": only the other values are checked.)
    journalled = str({key: value for key, value in entry.changes.items() if key != "expires_at"})
    assert "34" not in journalled and "eu_citizen" not in journalled
    page = client.get(link)
    assert page.status_code == 200 and "Delete now" in page.content.decode()
    assert client.get(reverse("rights:saved_print", args=[clear])).status_code == 200
    response = client.post(reverse("rights:saved_delete", args=[clear]))
    assert response.status_code == 200
    assert not SavedEvaluation.objects.exists()
    gone = client.get(link)
    assert gone.status_code == 404 and "no longer exists" in gone.content.decode()


def test_expired_saved_result_is_gone(client: Any) -> None:
    SavedEvaluationFactory(token="old-token", expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(reverse("rights:saved", args=["old-token"])).status_code == 404
    SavedEvaluationFactory(token="fresh-token")
    assert client.get(reverse("rights:saved", args=["fresh-token"])).status_code == 200


def test_email_sends_the_link_and_keeps_no_address(client: Any, mailoutbox: list[Any]) -> None:
    summary_url, _tokens = walk(client)
    address = "person@example.org"
    response = client.post(reverse("rights:email"), {"s": token_of(summary_url), "email": address})
    assert response.status_code == 303
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [address]
    clear = response["Location"].split("?")[0].rstrip("/").split("/")[-1]
    assert f"/droits/r/{clear}/" in message.body
    assert "Domiciliation" in message.body or "domiciliation" in message.body.lower()
    field_names = {f.name for f in SavedEvaluation._meta.get_fields()}
    assert not {"email", "address", "recipient"} & field_names
    assert address not in str(SavedEvaluation.objects.values_list("answers", flat=True)[0])
    for entry in AuditEntry.objects.all():
        assert address not in f"{entry.changes} {entry.object_repr} {entry.reason} {entry.actor_label}"
    # Again from the saved page: one more e-mail, no new saved result.
    response = client.post(reverse("rights:saved", args=[clear]), {"email": address})
    assert response.status_code == 303 and len(mailoutbox) == 2
    assert SavedEvaluation.objects.count() == 1


def test_email_rate_limit_and_bad_address(client: Any, mailoutbox: list[Any]) -> None:
    from django.core.cache import cache

    cache.clear()
    SavedEvaluationFactory(token="tok")
    url = reverse("rights:saved", args=["tok"])
    bad = client.post(url, {"email": "not an address"})
    assert bad.status_code == 200 and "id_email_email_error" in bad.content.decode()
    for _i in range(10):
        assert client.post(url, {"email": "a@example.org"}).status_code == 303
    assert client.post(url, {"email": "a@example.org"}).status_code == 429
    assert len(mailoutbox) == 10
    cache.clear()


def test_purge_deletes_only_expired() -> None:
    SavedEvaluationFactory(token="old", expires_at=timezone.now() - timedelta(days=1))
    keep = SavedEvaluationFactory(token="new")
    assert services.saved_evaluations_purge() == 1
    assert list(SavedEvaluation.objects.all()) == [keep]
    assert services.saved_evaluations_purge() == 0


def test_purge_task_is_periodic() -> None:
    from maillage.rights import tasks

    assert tasks.purge_saved_evaluations(timestamp=0) == 0


def test_mediator_banner_only_when_logged_in(client: Any) -> None:
    url = reverse("rights:step", args=["lieu"])
    assert "Mediator mode" not in client.get(url).content.decode()
    summary_url, _tokens = walk(client)
    result_url = reverse("rights:result") + "?s=" + token_of(summary_url)
    assert "Attach to a household" not in client.get(result_url).content.decode()
    verified_login(client, UserFactory())
    assert "Mediator mode" in client.get(url).content.decode()
    text = client.get(result_url).content.decode()
    assert "Mediator mode" in text and "Attach to a household" in text
    with mock.patch.object(services, "pathways_attach_url", return_value="/pathways/attach/x/"):
        assert 'href="/pathways/attach/x/"' in client.get(result_url).content.decode()


def _services_near_lille(count: int) -> None:
    themes = sorted({t for s in rules.schemes() for t in s.places.thematiques})
    structure = StructureFactory(latitude=50.63, longitude=3.06)
    for i in range(count):
        ServiceFactory(structure=structure, name=f"Service {i}", thematiques=themes[: 1 + i % 3])


@pytest.mark.parametrize("services_count", [0, 30])
def test_result_query_count(client: Any, django_assert_num_queries: Any, services_count: int) -> None:
    _services_near_lille(services_count)
    summary_url, _tokens = walk(client)
    url = reverse("rights:result") + "?s=" + token_of(summary_url)
    client.get(url)
    # check_place (department, commune), attach_places (commune point, services).
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200
    if services_count:
        assert "/directory/services/" in response.content.decode()


def test_result_with_amounts(client: Any, settings: Any) -> None:
    settings.RIGHTS_OPENFISCA = True
    steps = [
        ("lieu", {"department": "59", "commune": "59000"}),
        ("foyer", {"adults": "1", "children": "2"}),
        (
            "adulte-1",
            {
                "age": "35",
                "residence_status": "french",
                "months_in_france": "300",
                "working": "no",
                "monthly_income_eur": "0",
            },
        ),
        ("enfants", {"child_0_age": "6", "child_0_school": "yes", "child_1_age": "9", "child_1_school": "yes"}),
        ("logement", {"housing": "rented", "rent_eur": "500"}),
        ("adresse", {"has_address": "yes"}),
        ("sante", {"health_cover": "puma"}),
    ]
    summary_url, _tokens = walk(client, steps)
    response = client.get(reverse("rights:result") + "?s=" + token_of(summary_url))
    assert response.status_code == 200
    assert "per month" in response.content.decode() and "estimate" in response.content.decode()
