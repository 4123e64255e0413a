from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from maillage.organisations.permissions import requires_two_factor

ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/accounts/2fa/", "/accounts/logout/")


class TwoFactorRequiredMiddleware:
    """Coordinators and administrators must pass a second factor before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
            and not request.path.startswith(ALLOWED_PREFIXES)
            and requires_two_factor(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "two_factor_required", "message": "Complete two-factor authentication first."},
                    status=403,
                )
            return redirect(reverse("accounts:two_factor") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
