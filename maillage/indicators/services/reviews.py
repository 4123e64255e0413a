"""Writes of the annual reviews: asking for a new version, and the coordinator's texts.

The views check the policy first (``permissions.can_coordinate``). A request creates a new
version (the previous ones stay, archived) in the "waiting" state and defers the job
``tasks.generate_review``; with the setting ``INDICATORS_REVIEW_INLINE`` (dev and tests) the job
also runs at once, after the transaction, so that the page works without a worker (the job
takes a review once: the second run does nothing).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record

from ..models import Review, ReviewComment
from ..review import review_build, section_keys
from ..territories import Territory

MAX_COMMENT = 20000
FIRST_YEAR = 2000


def _check_year(year: Any) -> dict[str, str]:
    latest = timezone.localdate().year
    if not isinstance(year, int) or not FIRST_YEAR <= year <= latest:
        return {"year": _("Choose a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": latest}}
    return {}


def review_request(*, actor: Any, territory: Territory, year: int) -> Review:
    """A new version of the territory's review for ``year``, queued for generation."""
    errors = _check_year(year)
    if not territory.level or not territory.code:
        errors["territory"] = _("Choose a territory.")
    if errors:
        raise ValidationError(errors)
    from ..tasks import generate_review

    for attempt in range(3):
        try:
            with transaction.atomic():
                last = Review.objects.filter(
                    territory_level=territory.level, territory_code=territory.code, year=year
                ).aggregate(last=Max("version"))["last"]
                review = Review.objects.create(
                    territory_level=territory.level,
                    territory_code=territory.code,
                    year=year,
                    version=(last or 0) + 1,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                audit_record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    obj=review,
                    changes={"territory": territory.key, "year": str(year), "version": str(review.version)},
                )
                generate_review.defer(review_id=review.pk)
            break
        except IntegrityError:  # two requests took the same version number: take the next one
            if attempt == 2:
                raise
    if getattr(settings, "INDICATORS_REVIEW_INLINE", False):
        review_build(review.pk)
        review.refresh_from_db()
    return review


def review_comment_set(*, actor: Any, territory: Territory, year: int, section: str, text: str) -> ReviewComment:
    """Write (or clear) the coordinator's text of one section of the territory's review."""
    errors = _check_year(year)
    if section not in section_keys():
        errors["section"] = _("Unknown section of the review.")
    text = (text or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_COMMENT:
        errors[section if section in section_keys() else "text"] = _(
            "The text is too long (%(max)s characters at most)."
        ) % {"max": MAX_COMMENT}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        comment, created = ReviewComment.objects.select_for_update().get_or_create(
            territory_level=territory.level,
            territory_code=territory.code,
            year=year,
            section=section,
            defaults={"text": text, "updated_by": actor if getattr(actor, "is_authenticated", False) else None},
        )
        old = "" if created else comment.text
        if not created:
            if comment.text == text:
                return comment
            comment.text = text
            comment.updated_by = actor if getattr(actor, "is_authenticated", False) else None
            comment.updated_at = timezone.now()
            comment.save(update_fields=["text", "updated_by", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=comment,
            changes={
                "territory": territory.key,
                "year": str(year),
                "section": section,
                "text": [old[:200], text[:200]],
            },
        )
    return comment
