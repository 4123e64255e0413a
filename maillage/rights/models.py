"""Saved results of the rights questionnaire (only when the person asks for a link)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedEvaluation(models.Model):
    """The answers of one household, kept 30 days behind a secret link.

    Only the SHA-256 of the link's token is stored: the database alone cannot rebuild the
    link. No e-mail address, no name: the answers are the only personal data.
    """

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    answers = models.JSONField(_("answers"))
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("saved evaluation")
        verbose_name_plural = _("saved evaluations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Saved evaluation #{self.pk}"
