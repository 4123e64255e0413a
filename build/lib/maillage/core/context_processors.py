from typing import Any

from django.conf import settings
from django.http import HttpRequest


def layout(request: HttpRequest) -> dict[str, Any]:
    """Values every page of the layout needs (navigation, language switcher)."""
    from maillage.organisations.permissions import is_platform_admin

    user = getattr(request, "user", None)
    return {
        "site_languages": settings.LANGUAGES,
        "nav_show_audit": bool(user and user.is_authenticated and is_platform_admin(user)),
    }
