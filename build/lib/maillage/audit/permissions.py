"""Policy of the audit app."""

from typing import Any

from maillage.organisations.permissions import is_platform_admin


def can_view_audit(user: Any) -> bool:
    """The journal names people and what was done to their files: administrators only."""
    return is_platform_admin(user)
