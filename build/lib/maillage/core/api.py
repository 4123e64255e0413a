"""The JSON API (/api/v1/): one NinjaAPI, errors as {"code", "message"}, two auth methods.

Browsers use their session (with CSRF); machines send ``Authorization: Bearer mlg_…`` with a
personal token, which acts with exactly its user's permissions. Apps add their routers in
config/urls.py's ``build_api`` — see docs/architecture.md.
"""

from __future__ import annotations

import logging
from typing import Any

from csp.decorators import csp_update
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from maillage.accounts.services import api_token_authenticate

logger = logging.getLogger(__name__)


class SessionAuth(APIKeyCookie):
    """Django session with CSRF check for unsafe methods; refuses users still owing a second factor."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated:
            return user
        return None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


def _docs_csp(view: Any) -> Any:
    # Swagger UI sets inline styles; the rest of the site keeps the strict policy.
    return csp_update({"style-src": ["'unsafe-inline'"]})(view)


def _error(api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


def build_base_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Maillage API",
        version="1",
        urls_namespace="api-v1",
        auth=[TokenAuth(), SessionAuth()],
        docs_decorator=_docs_csp,
        description="JSON API of Maillage. Authenticate with your session or a personal token "
        "(Authorization: Bearer mlg_…), created on your profile page.",
    )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for item in exc.errors:
            loc = [str(p) for p in item.get("loc", []) if p not in ("body", "payload", "query", "path")]
            errors.append({"field": ".".join(loc) or None, "message": item.get("msg", ""), "type": item.get("type")})
        return _error(api, request, 422, "validation_error", "The request is not valid.", errors=errors)

    @api.exception_handler(DjangoValidationError)
    def model_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors: list[dict[str, str | None]] = [
                {"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs
            ]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return _error(api, request, 422, "validation_error", "The request is not valid.", errors=errors)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, 401, "not_authenticated", "Authentication required.")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 403, "forbidden", "You may not do this.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 429: "throttled"}
        return _error(api, request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s", request.path)
        return _error(api, request, 500, "server_error", "Internal server error.")

    return api
