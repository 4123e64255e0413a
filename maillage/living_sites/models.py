"""Living sites: shantytowns, squats, temporary sites and caravans.

A site is territory data, not a personal file: its figures are counts (``SiteUpdate``), its
conditions are observations. What is personal or sensitive is kept apart and guarded by
``permissions.py``: the legal procedure (``Site.procedure_*``), the journal entries above the
"general" class, the households of a closure, and the Pathways households living there.

``__str__`` shows the site's name (a place, not a person) but nothing of its people.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.pathways.enums import Sensitivity

from . import enums


class SiteQuerySet(models.QuerySet["Site"]):
    def open(self) -> SiteQuerySet:
        return self.filter(status=enums.SiteStatus.OPEN)


class Site(models.Model):
    name = models.CharField(_("name"), max_length=200, help_text=_("The name used by the teams, e.g. the street."))
    kind = models.CharField(_("type"), max_length=20, choices=enums.SiteKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=enums.SiteStatus.choices, default="open")
    address = models.CharField(_("address"), max_length=255, blank=True)
    commune = models.ForeignKey(
        "territory.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    # Copied from the commune by the services: the filters and the policy work by department.
    department = models.ForeignKey("territory.Department", on_delete=models.PROTECT, related_name="+", editable=False)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # A GeoJSON Polygon geometry ({"type": "Polygon", "coordinates": [[[lon, lat], ...]]}), optional.
    outline = models.JSONField(_("outline"), null=True, blank=True)
    owner_kind = models.CharField(
        _("owner"), max_length=10, choices=enums.OwnerKind.choices, default=enums.OwnerKind.UNKNOWN
    )
    owner_name = models.CharField(_("owner's name"), max_length=200, blank=True)
    opened_on = models.DateField(_("settled since"), null=True, blank=True)
    known_since = models.DateField(_("known since"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(
        _("reason of closure"), max_length=30, choices=enums.ClosureReason.choices, blank=True
    )
    # Legal procedure: only the roles of ``permissions.can_see_procedure`` read or write these.
    procedure = models.CharField(
        _("legal procedure"), max_length=20, choices=enums.LegalProcedure.choices, default=enums.LegalProcedure.NONE
    )
    procedure_decision = models.CharField(_("decision"), max_length=255, blank=True)
    procedure_decided_on = models.DateField(_("date of the decision"), null=True, blank=True)
    procedure_deadline = models.DateField(_("deadline to leave"), null=True, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation following the site"),
    )
    latest_update = models.ForeignKey(
        "SiteUpdate", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("living site")
        verbose_name_plural = _("living sites")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["department", "status"], name="site_department_status_idx"),
            models.Index(fields=["latitude", "longitude"], name="site_coords_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True)
                | models.Q(opened_on__isnull=True)
                | models.Q(closed_on__gte=models.F("opened_on")),
                name="site_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune_id})"


class SiteUpdate(models.Model):
    """One dated observation of a site: its population and its living conditions.

    Updates are never edited in place by the pages: a new observation is a new row, so the
    history is kept and charted. Nationalities and languages are counts only:
    ``{"RO": 40, "BG": 12}`` (ISO 3166 alpha-2) and ``{"ro": 45, "rom": 50}`` (ISO 639 codes).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="updates")
    observed_on = models.DateField(_("date of the observation"), default=timezone.localdate)
    source = models.CharField(_("origin of the figures"), max_length=20, choices=enums.FigureSource.choices)
    people = models.PositiveIntegerField(_("people"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    minors = models.PositiveIntegerField(_("minors"), null=True, blank=True)
    minors_0_3 = models.PositiveIntegerField(_("minors aged 0–3"), null=True, blank=True)
    minors_3_6 = models.PositiveIntegerField(_("minors aged 3–6"), null=True, blank=True)
    minors_6_12 = models.PositiveIntegerField(_("minors aged 6–12"), null=True, blank=True)
    minors_12_16 = models.PositiveIntegerField(_("minors aged 12–16"), null=True, blank=True)
    minors_16_18 = models.PositiveIntegerField(_("minors aged 16–18"), null=True, blank=True)
    children_in_school = models.PositiveIntegerField(_("children in school"), null=True, blank=True)
    nationalities = models.JSONField(_("nationalities (counts)"), default=dict, blank=True)
    languages = models.JSONField(_("languages (counts)"), default=dict, blank=True)
    # Living conditions; blank means "not assessed".
    water_access = models.CharField(_("water access"), max_length=10, choices=enums.WaterAccess.choices, blank=True)
    water_distance_m = models.PositiveIntegerField(_("distance to water (metres)"), null=True, blank=True)
    water_continuity = models.CharField(
        _("water continuity"), max_length=15, choices=enums.WaterContinuity.choices, blank=True
    )
    toilets = models.CharField(_("toilets"), max_length=15, choices=enums.Provision.choices, blank=True)
    showers = models.CharField(_("showers"), max_length=15, choices=enums.Provision.choices, blank=True)
    electricity = models.CharField(_("electricity"), max_length=10, choices=enums.Regularity.choices, blank=True)
    waste_collection = models.CharField(
        _("waste collection"), max_length=10, choices=enums.Regularity.choices, blank=True
    )
    pests = models.CharField(_("pests"), max_length=15, choices=enums.Pests.choices, blank=True)
    fire_extinguishers = models.PositiveIntegerField(_("fire extinguishers"), null=True, blank=True)
    fire_distances_ok = models.BooleanField(
        _("distances between dwellings respected"), null=True, blank=True, help_text=_("Fire prevention.")
    )
    # Traffic-light summary, computed by ``conditions.summarise`` when the update is recorded.
    conditions_light = models.CharField(
        _("living conditions"), max_length=10, choices=enums.Light.choices, default=enums.Light.UNKNOWN
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("No names here: figures and observations only."))
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("site update")
        verbose_name_plural = _("site updates")
        ordering = ["-observed_on", "-pk"]
        indexes = [models.Index(fields=["site", "-observed_on"], name="siteupdate_site_date_idx")]

    def __str__(self) -> str:
        return f"Site update #{self.pk}"


class SiteJournalEntry(models.Model):
    """A note on a site. Classes as in Pathways: "general" is read by everyone who sees the
    site; the others only by the author's organisation, according to the role."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="journal")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sensitivity = models.CharField(_("sensitivity"), max_length=10, choices=Sensitivity.choices)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("site journal entry")
        verbose_name_plural = _("site journal entries")
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["site", "-occurred_on"], name="sitejournal_site_date_idx")]

    def __str__(self) -> str:
        return f"Site journal entry #{self.pk}"


class SiteAction(models.Model):
    """An action on one or more sites, or around them in a department (sites may be empty)."""

    title = models.CharField(_("title"), max_length=200)
    domain = models.CharField(_("domain"), max_length=20, choices=enums.ActionDomain.choices)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        "territory.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    sites = models.ManyToManyField(Site, related_name="actions", blank=True, verbose_name=_("sites"))
    lead_organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead organisation"),
    )
    partners = models.ManyToManyField(
        "organisations.Organisation", related_name="+", blank=True, verbose_name=_("partner organisations")
    )
    started_on = models.DateField(_("start"))
    ended_on = models.DateField(_("end"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("site action")
        verbose_name_plural = _("site actions")
        ordering = ["-started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="siteaction_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionFunding(models.Model):
    action = models.ForeignKey(SiteAction, on_delete=models.CASCADE, related_name="fundings")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    funder_kind = models.CharField(_("type of funder"), max_length=20, choices=enums.FunderKind.choices)
    funder = models.CharField(_("funder"), max_length=200, help_text=_("E.g. DIHAL, ARS, European Social Fund+."))
    amount = models.DecimalField(_("amount (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("funding")
        verbose_name_plural = _("fundings")
        ordering = ["year", "funder"]
        constraints = [
            models.UniqueConstraint(fields=["action", "year", "funder"], name="actionfunding_unique"),
        ]

    def __str__(self) -> str:
        return f"Funding #{self.pk}"


class ActionIndicator(models.Model):
    """Planned and achieved figures of an action for one year (fed to the Indicators module)."""

    action = models.ForeignKey(SiteAction, on_delete=models.CASCADE, related_name="indicators")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    label = models.CharField(_("indicator"), max_length=200, help_text=_("E.g. children enrolled in school."))
    code = models.SlugField(_("code in the indicators catalogue"), max_length=60, blank=True, help_text=_("Optional."))
    unit = models.CharField(_("unit"), max_length=40, default="people")
    planned = models.PositiveIntegerField(_("planned"), null=True, blank=True)
    achieved = models.PositiveIntegerField(_("achieved"), null=True, blank=True)

    class Meta:
        verbose_name = _("action indicator")
        verbose_name_plural = _("action indicators")
        ordering = ["year", "label"]
        constraints = [
            models.UniqueConstraint(fields=["action", "year", "label"], name="actionindicator_unique"),
        ]

    def __str__(self) -> str:
        return f"Action indicator #{self.pk}"


class Closure(models.Model):
    """The closure of a site, prepared (``planned_on``) then done (the site's ``closed_on``)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="closure")
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"Closure #{self.pk}"


class ClosureHousehold(models.Model):
    """A household concerned by a closure and its solution. ``label`` is a reference, not a
    name ("family 7, caravan 3"); the name is only shown through the linked Pathways household,
    to those its policy allows."""

    closure = models.ForeignKey(Closure, on_delete=models.CASCADE, related_name="households")
    label = models.CharField(_("reference"), max_length=100, help_text=_("A reference, not a name."))
    people = models.PositiveSmallIntegerField(_("people"), null=True, blank=True)
    household = models.ForeignKey(
        "pathways.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("household followed in Pathways"),
    )
    solution = models.CharField(
        _("solution"), max_length=20, choices=enums.Solution.choices, default=enums.Solution.UNKNOWN
    )
    solution_detail = models.CharField(_("detail of the solution"), max_length=255, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household concerned by a closure")
        verbose_name_plural = _("households concerned by a closure")
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["closure", "label"], name="closurehousehold_unique_label"),
            models.UniqueConstraint(
                fields=["closure", "household"],
                condition=models.Q(household__isnull=False),
                name="closurehousehold_unique_household",
            ),
        ]

    def __str__(self) -> str:
        return f"Closure household #{self.pk}"
