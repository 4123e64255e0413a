"""Production settings: every secret comes from the environment (docs/operations.md)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, SECURE_HSTS_SECONDS, SSL_REDIRECT

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of 50 characters or more.")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = SSL_REDIRECT  # set MAILLAGE_SSL_REDIRECT=false only if the proxy redirects
SECURE_HSTS_SECONDS = SECURE_HSTS_SECONDS or 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
# Joining the browsers' HSTS preload list is a commitment for the whole domain: the
# operator's decision (docs/operations.md), not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
