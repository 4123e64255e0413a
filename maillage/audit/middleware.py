from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from maillage.core.http import client_ip

from .services import clear_request_context, set_request_context


class AuditContextMiddleware:
    """Give audit entries the request's address and channel (web or api)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith("/api/") else "web"
        set_request_context(ip_address=client_ip(request), via=via)
        try:
            return self.get_response(request)
        finally:
            clear_request_context()
