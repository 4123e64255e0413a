"""Context of the site page for the area 'closures' (written by its owner)."""

from __future__ import annotations

from typing import Any


def closures_context(user: Any, site: Any) -> dict[str, Any]:
    """What the include `living_sites/includes/_closures.html` needs. A fixed number of queries."""
    return {}
