"""Request helpers shared by the apps."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for login throttling and the audit journal.

    Behind one trusted reverse proxy (MAILLAGE_BEHIND_PROXY=true), the client is the last
    address the proxy appended to X-Forwarded-For; earlier entries are client-supplied and
    not trusted. Otherwise it is the socket's peer.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def query_without_page(request: HttpRequest) -> str:
    """The request's query string without its ``page``: the pagination links add their own."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
