"""Context of the site page for the area 'households' (written by its owner)."""

from __future__ import annotations

from typing import Any


def households_context(user: Any, site: Any) -> dict[str, Any]:
    """What the include `living_sites/includes/_households.html` needs. A fixed number of queries."""
    return {}
