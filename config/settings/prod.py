"""Production settings: every secret comes from the environment (docs/operations.md)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import HSTS_PRELOAD, HSTS_SECONDS, SECRET_KEY, SSL_REDIRECT

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of 50 characters or more.")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = SSL_REDIRECT  # set MAILLAGE_SSL_REDIRECT=false only if the proxy redirects
SECURE_HSTS_SECONDS = HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = HSTS_PRELOAD
# Joining the browsers' HSTS preload list is a commitment for the whole domain: the
# operator's decision (MAILLAGE_HSTS_PRELOAD, docs/operations.md), not a default.
SILENCED_SYSTEM_CHECKS = [] if HSTS_PRELOAD else ["security.W021"]
