from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _languages(request: HttpRequest, user: Any) -> list[tuple[str, Any]]:
    """All languages on public pages and for visitors; French and English for professionals."""
    match = getattr(request, "resolver_match", None)
    public = match is not None and match.namespace == "rights"
    if public or not (user and user.is_authenticated):
        return list(settings.LANGUAGES)
    return [(code, name) for code, name in settings.LANGUAGES if code in settings.STAFF_LANGUAGES]


def layout(request: HttpRequest) -> dict[str, Any]:
    """Values every page of the layout needs (navigation, language switcher)."""
    from maillage.organisations.permissions import is_platform_admin

    user = getattr(request, "user", None)
    return {
        "site_languages": _languages(request, user),
        "nav_show_audit": bool(user and user.is_authenticated and is_platform_admin(user)),
    }
