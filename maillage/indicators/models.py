"""Indicators: a catalogue, values per territory × period × breakdown, the pre-aggregated
table that the dashboards read, period locks, and the annual reviews.

- ``IndicatorValue`` holds what was entered (by an organisation) or computed (by the refresh
  job from Pathways and Living sites), at the level where it was known.
- ``AggregateValue`` is rebuilt by the refresh job (``refresh.py``): every value rolled up from
  communes to departments to the region, and from months to quarters to years, following the
  indicator's aggregation rule. Dashboards, exports, the API and the reviews read only it.
- No value here is about a person: only counts and rates per territory.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import enums


class Indicator(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    definition_fr = models.TextField(_("definition (French)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=enums.Unit.choices)
    domain = models.CharField(_("domain"), max_length=20, choices=enums.Domain.choices)
    source = models.CharField(_("source"), max_length=10, choices=enums.Source.choices)
    # For computed indicators: the key of its function in ``computations.COMPUTATIONS``.
    computation = models.CharField(_("computation"), max_length=60, blank=True)
    breakdowns = ArrayField(
        models.CharField(max_length=20, choices=enums.Breakdown.choices),
        default=list,
        blank=True,
        verbose_name=_("breakdowns allowed"),
    )
    aggregation = models.CharField(_("aggregation rule"), max_length=20, choices=enums.Aggregation.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=enums.Direction.choices, default=enums.Direction.UP
    )
    eu_roma_objective = models.CharField(
        _("EU Roma framework objective"), max_length=40, choices=enums.EuRomaObjective.choices, blank=True
    )
    regional_axis = models.CharField(_("axis of the regional plan"), max_length=200, blank=True)
    reference = models.TextField(_("source document"), blank=True, help_text=_("Where the indicator comes from."))
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["domain", "position", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        if (get_language() or "fr").startswith("fr") or not self.name_en:
            return self.name_fr
        return self.name_en

    @property
    def definition(self) -> str:
        if (get_language() or "fr").startswith("fr") or not self.definition_en:
            return self.definition_fr
        return self.definition_en


class _Cell(models.Model):
    """Where and when a value is: territory × period × breakdown × kind."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+", verbose_name=_("indicator"))
    territory_level = models.CharField(_("territory level"), max_length=12, choices=enums.TerritoryLevel.choices)
    territory_code = models.CharField(_("territory code"), max_length=9)
    period_kind = models.CharField(_("period"), max_length=10, choices=enums.PeriodKind.choices)
    period_start = models.DateField(_("start of the period"))
    # "" for the total, else "dimension=part" (enums.BREAKDOWN_PARTS).
    breakdown = models.CharField(_("breakdown"), max_length=60, blank=True, default="")
    kind = models.CharField(_("kind of value"), max_length=10, choices=enums.ValueKind.choices)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)

    class Meta:
        abstract = True


class IndicatorValue(_Cell):
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    origin = models.CharField(_("origin"), max_length=10, choices=enums.Origin.choices)
    # The organisation that entered it (None for computed and imported values). Several
    # organisations may each enter their part for one territory: the aggregates add them up.
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "indicator",
                    "territory_level",
                    "territory_code",
                    "period_kind",
                    "period_start",
                    "breakdown",
                    "kind",
                    "organisation",
                ],
                name="indicatorvalue_unique_cell",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "period_start"], name="indvalue_indicator_period_idx"),
            models.Index(fields=["territory_level", "territory_code"], name="indvalue_territory_idx"),
        ]

    def __str__(self) -> str:
        return f"Indicator value #{self.pk}"


class AggregateValue(_Cell):
    """Rebuilt by the refresh job; never written by anything else."""

    sources = models.PositiveIntegerField(_("number of values added up"), default=1)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("aggregate value")
        verbose_name_plural = _("aggregate values")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "indicator",
                    "territory_level",
                    "territory_code",
                    "period_kind",
                    "period_start",
                    "breakdown",
                    "kind",
                ],
                name="aggregatevalue_unique_cell",
            ),
        ]
        indexes = [
            models.Index(
                fields=["territory_level", "territory_code", "period_kind", "indicator"],
                name="aggvalue_dashboard_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Aggregate value #{self.pk}"


class RefreshRun(models.Model):
    """One run of the refresh job (for the dashboards' "updated on" and the operators)."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    computed_values = models.PositiveIntegerField(default=0)
    aggregate_values = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Refresh run #{self.pk}"


class PeriodLock(models.Model):
    """A period closed for a territory: no value of that territory (or of one inside it) for a
    period inside this one can be written until a coordinator reopens it, with a reason."""

    territory_level = models.CharField(_("territory level"), max_length=12, choices=enums.TerritoryLevel.choices)
    territory_code = models.CharField(_("territory code"), max_length=9)
    period_kind = models.CharField(_("period"), max_length=10, choices=enums.PeriodKind.choices)
    period_start = models.DateField(_("start of the period"))
    is_locked = models.BooleanField(_("locked"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("period lock")
        verbose_name_plural = _("period locks")
        constraints = [
            models.UniqueConstraint(
                fields=["territory_level", "territory_code", "period_kind", "period_start"], name="periodlock_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Period lock #{self.pk}"


class PeriodLockEvent(models.Model):
    class Action(models.TextChoices):
        LOCKED = "locked", _("Locked")
        REOPENED = "reopened", _("Reopened")

    lock = models.ForeignKey(PeriodLock, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Period lock event #{self.pk}"


class ReviewComment(models.Model):
    """The coordinator's text for one section of a territory's annual review."""

    territory_level = models.CharField(max_length=12, choices=enums.TerritoryLevel.choices)
    territory_code = models.CharField(max_length=9)
    year = models.PositiveSmallIntegerField(_("year"))
    # "context", "conclusion" or a domain (enums.Domain).
    section = models.CharField(_("section"), max_length=20)
    text = models.TextField(_("text"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory_level", "territory_code", "year", "section"], name="reviewcomment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Review comment #{self.pk}"


class Review(models.Model):
    """One generated version of a territory's annual review (HTML and PDF), kept as archived."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    territory_level = models.CharField(max_length=12, choices=enums.TerritoryLevel.choices)
    territory_code = models.CharField(max_length=9)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory_level", "territory_code", "year", "version"], name="review_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Review #{self.pk}"
