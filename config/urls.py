from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from django_otp.admin import OTPAdminSite
from ninja import NinjaAPI

from maillage.core.api import build_base_api

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Maillage – administration technique"


def build_api() -> NinjaAPI:
    """Every app's router, mounted under /api/v1/. Add a module's router here."""
    from maillage.accounts.api import router as accounts_router
    from maillage.directory.api import router as directory_router
    from maillage.directory.api_export import router as directory_export_router
    from maillage.indicators.api import router as indicators_router
    from maillage.living_sites.api import router as living_sites_router
    from maillage.organisations.api import router as organisations_router
    from maillage.rights.api import router as rights_router
    from maillage.territory.api import router as territory_router

    api = build_base_api()
    api.add_router("/", accounts_router)
    api.add_router("/", organisations_router)
    api.add_router("/", territory_router)
    api.add_router("/", directory_router)
    api.add_router("/", directory_export_router)
    api.add_router("/", rights_router)
    api.add_router("/", living_sites_router)
    api.add_router("/", indicators_router)
    return api


api = build_api()


def _api_urls() -> tuple[list[Any], str, str]:
    """The API answers authentication itself (401 JSON), so it opts out of the login redirect."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False  # type: ignore[union-attr]
    return patterns, app_name, namespace


urlpatterns = [
    path("", include("maillage.core.urls")),
    path("accounts/", include("maillage.accounts.urls")),
    path("organisations/", include("maillage.organisations.urls")),
    path("audit/", include("maillage.audit.urls")),
    path("directory/", include("maillage.directory.urls")),
    path("pathways/", include("maillage.pathways.urls")),
    path("sites/", include("maillage.living_sites.urls")),
    path("indicators/", include("maillage.indicators.urls")),
    # The public rights portal (French URL: it is printed on leaflets).
    path("droits/", include("maillage.rights.urls")),
    # Choosing a language is allowed before logging in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", _api_urls()),
    path("admin/", admin.site.urls),
]

handler404 = "maillage.core.views.handler404"
handler500 = "maillage.core.views.handler500"
