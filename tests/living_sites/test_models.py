import pytest

from tests.living_sites.factories import ClosureHouseholdFactory, SiteActionFactory, SiteUpdateFactory


@pytest.mark.django_db
def test_factories_build_a_coherent_site():
    update = SiteUpdateFactory()
    assert update.site.latest_update == update
    assert update.site.department_id == "59"
    action = SiteActionFactory(sites=[update.site])
    assert list(action.sites.all()) == [update.site]
    assert ClosureHouseholdFactory().closure.site.pk
