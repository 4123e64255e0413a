"""A mediator attaches a rights portal result to a household: a journal entry, nothing else."""

import pytest
from django.urls import reverse

from maillage.organisations.enums import Role
from maillage.pathways.models import JournalEntry
from maillage.rights import services as rights_services
from maillage.rights import state
from maillage.rights.schema import Answers
from tests.conftest import verified_login
from tests.organisations.factories import member
from tests.pathways.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

ANSWERS = {
    "department": "59",
    "commune": "59350",
    "household": {"adults": [{"age": 30, "residence_status": "refugee", "months_in_france": 14}]},
    "housing": "shelter",
    "has_address": False,
    "health_cover": "none",
}


@pytest.fixture(autouse=True)
def _no_amounts(settings):
    settings.RIGHTS_OPENFISCA = False


def saved_link():
    _saved, token = rights_services.saved_evaluation_create(answers=Answers.model_validate(ANSWERS), lang="en")
    return rights_services.pathways_attach_url(saved_token=token)


def test_the_result_is_written_in_the_journal_of_a_household_the_user_edits(client):
    household = HouseholdFactory()
    other = HouseholdFactory()  # another organisation's: not offered, refused
    user = member(Role.PROFESSIONAL, household.organisation)
    verified_login(client, user)
    url = saved_link()
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{household.pk}"' in page.content.decode()
    assert f'value="{other.pk}"' not in page.content.decode()
    assert client.post(url, {"household": other.pk}).status_code == 200  # not a valid choice
    assert not JournalEntry.objects.exists()
    response = client.post(url, {"household": household.pk})
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert entry.household == household and entry.sensitivity == "social"
    assert "Rights portal result" in entry.text and "RSA" in entry.text


def test_a_volunteer_gets_no_household_to_attach_to(client):
    household = HouseholdFactory()
    verified_login(client, member(Role.VOLUNTEER, household.organisation))
    assert client.post(saved_link(), {"household": household.pk}).status_code == 200
    assert not JournalEntry.objects.exists()


def test_expired_or_forged_links_are_404(client):
    verified_login(client, member(Role.PROFESSIONAL))
    url = reverse("pathways:rights_attach")
    assert client.get(url + "?r=nope").status_code == 404
    assert client.get(url + "?s=forged").status_code == 404


def test_the_state_link_of_the_questionnaire_works_too(client):
    household = HouseholdFactory()
    verified_login(client, member(Role.MANAGER, household.organisation))
    from maillage.rights.views import answers_from  # noqa: F401 - the state format is the views'

    token = state.encode({})  # an empty questionnaire: not valid answers
    assert client.get(rights_services.pathways_attach_url(token=token)).status_code == 404


def test_an_outdated_saved_result_is_404(client):
    verified_login(client, member(Role.PROFESSIONAL))
    saved, token = rights_services.saved_evaluation_create(answers=Answers.model_validate(ANSWERS), lang="en")
    type(saved).objects.filter(pk=saved.pk).update(answers={**ANSWERS, "housing": "a-value-of-an-older-version"})
    assert client.get(rights_services.pathways_attach_url(saved_token=token)).status_code == 404
