"""The questionnaire's state, carried by the browser and never stored on the server.

Answers travel in the ``s`` parameter of each step page: JSON, compressed with zlib and
encrypted with Fernet (so nobody can read or change them), for 24 hours at most. The key is
derived from ``SECRET_KEY``: rotating the secret key ends every questionnaire in progress.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MAX_AGE_SECONDS = 24 * 60 * 60
_SALT = b"maillage.rights.questionnaire-state.v1:"
MAX_TOKEN_LENGTH = 20_000  # far above any real household, refuses absurd inputs cheaply


class StateError(Exception):
    """The token is missing, forged, changed or older than ``MAX_AGE_SECONDS``."""


@cache
def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(_SALT + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encode(data: dict[str, Any]) -> str:
    raw = zlib.compress(json.dumps(data, separators=(",", ":"), sort_keys=True).encode(), 9)
    return _fernet(settings.SECRET_KEY).encrypt(raw).decode()


def decode(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    if len(token) > MAX_TOKEN_LENGTH:
        raise StateError("token too long")
    try:
        raw = _fernet(settings.SECRET_KEY).decrypt(token.encode(), ttl=MAX_AGE_SECONDS)
        data = json.loads(zlib.decompress(raw))
    except (InvalidToken, zlib.error, ValueError, UnicodeError) as exc:
        raise StateError(str(exc) or "invalid token") from exc
    if not isinstance(data, dict):
        raise StateError("not a mapping")
    return data
