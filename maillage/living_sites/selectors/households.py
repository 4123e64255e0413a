"""The Pathways households living on a site, for the site page.

A user sees the households of the site that Pathways lets them see
(``pathways.permissions.households_visible_to``: their organisations' cases and those shared
with them by an active referral). The name is shown only when Pathways would show it (own
organisation, or a referral sharing the identity); otherwise "Household #12". Of the others
the page gives only their number, never a name nor an organisation. Two queries.

Closing a site does not unlink its households in Pathways (their cases keep where they lived):
the page of a closed site lists them as the households who lived there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from maillage.pathways.models import Household
from maillage.pathways.permissions import households_visible_to
from maillage.pathways.selectors import identity_visible_households

from ..models import Site


def households_context(user: Any, site: Site) -> dict[str, Any]:
    """What the include ``living_sites/includes/_households.html`` needs."""
    visible = households_visible_to(user).filter(living_site=site)
    rows = list(
        visible.select_related("organisation")
        .annotate(show_identity=Exists(identity_visible_households(user).filter(pk=OuterRef("pk"))))
        .order_by("pk")
    )
    rows.sort(key=lambda h: (not h.show_identity, h.name.casefold() if h.show_identity else "", h.pk))
    others = Household.objects.active().filter(living_site=site).exclude(pk__in=[h.pk for h in rows]).count()
    return {
        "site_households": rows,
        "site_households_others": others,
        "site_households_shown": bool(rows or others),
    }
