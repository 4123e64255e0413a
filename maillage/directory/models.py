"""The directory: structures, their services (French courses included), referents and
projects / good practices. Field names follow data·inclusion v1 where it has them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.validators import validate_siret

from . import enums
from .validators import (
    validate_languages,
    validate_latitude,
    validate_longitude,
    validate_opening_hours,
    validate_zone_codes,
)


def stale_before() -> object:
    """Entries confirmed before this moment are flagged as not confirmed for too long."""
    return timezone.now() - timedelta(days=settings.DIRECTORY_STALE_DAYS)


def choice_array(choices: list[tuple[str, str]], max_length: int = 100, **kwargs: Any) -> ArrayField:
    return ArrayField(models.CharField(max_length=max_length, choices=choices), default=list, blank=True, **kwargs)


class ConfirmableQuerySet(models.QuerySet):
    def active(self) -> ConfirmableQuerySet:
        return self.filter(is_active=True)

    def stale(self) -> ConfirmableQuerySet:
        return self.filter(confirmed_at__lt=stale_before())


class Confirmable(models.Model):
    """Entries say when their owner last confirmed them; after DIRECTORY_STALE_DAYS they are flagged."""

    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated on"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed on"), default=timezone.now, db_index=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_stale(self) -> bool:
        return self.confirmed_at < stale_before()  # type: ignore[operator]


class Place(models.Model):
    """Address fields shared by structures and services (data·inclusion names in comments)."""

    address = models.CharField(_("address"), max_length=255, blank=True)  # adresse
    address_complement = models.CharField(_("address complement"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)  # code_postal
    commune = models.ForeignKey(  # code_insee
        "territory.Commune",
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True, validators=[validate_latitude])
    longitude = models.FloatField(_("longitude"), null=True, blank=True, validators=[validate_longitude])
    phone = models.CharField(_("phone"), max_length=40, blank=True)  # telephone
    email = models.EmailField(_("e-mail"), blank=True)  # courriel
    opening_hours = models.CharField(  # horaires_accueil
        _("opening hours"),
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_("OpenStreetMap syntax, for example “Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00”."),
    )

    class Meta:
        abstract = True


class Structure(Confirmable, Place):
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="structures",
        help_text=_("The organisation whose members keep this entry up to date."),
    )
    source = models.CharField(_("source"), max_length=100, default=enums.LOCAL_SOURCE)
    source_id = models.CharField(_("identifier in the source"), max_length=200)
    source_url = models.URLField(_("link to the source"), blank=True, max_length=500)  # lien_source
    name = models.CharField(_("name"), max_length=250)  # nom
    description = models.TextField(_("description"), blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    website = models.URLField(_("website"), blank=True, max_length=500)  # site_web
    accessibility_url = models.URLField(  # accessibilite_lieu
        _("accessibility of the place"), blank=True, max_length=500, help_text=_("Link to the acceslibre sheet.")
    )
    networks = choice_array(enums.RESEAU_PORTEUR_CHOICES, verbose_name=_("networks"))  # reseaux_porteurs

    objects = ConfirmableQuerySet.as_manager()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="structure_source_id_unique")]
        indexes = [models.Index(fields=["latitude", "longitude"], name="structure_coords_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:structure_detail", args=[self.pk])


class Service(Confirmable, Place):
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="services"
    )
    source = models.CharField(_("source"), max_length=100, default=enums.LOCAL_SOURCE)
    source_id = models.CharField(_("identifier in the source"), max_length=200)
    source_url = models.URLField(_("link to the source"), blank=True, max_length=500)
    kind = models.CharField(
        _("kind"), max_length=20, choices=enums.ServiceKind.choices, default=enums.ServiceKind.GENERAL
    )
    name = models.CharField(_("name"), max_length=250)
    description = models.TextField(_("description"))
    thematiques = choice_array(enums.THEMATIQUE_CHOICES, verbose_name=_("themes"))
    types = choice_array(enums.TYPE_SERVICE_CHOICES, verbose_name=_("types of service"))  # type
    publics = choice_array(enums.PUBLIC_CHOICES, verbose_name=_("publics"))
    publics_details = models.TextField(_("details on the public"), blank=True)  # publics_precisions
    access_conditions = models.TextField(_("access conditions"), blank=True)  # conditions_acces
    fees = models.CharField(_("fees"), max_length=20, choices=enums.FRAIS_CHOICES, blank=True)  # frais
    fees_details = models.TextField(_("details on fees"), blank=True)  # frais_precisions
    reception_modes = choice_array(enums.MODE_ACCUEIL_CHOICES, verbose_name=_("modes of reception"))
    referral_modes = choice_array(enums.MODE_MOBILISATION_CHOICES, verbose_name=_("how to get referred"))
    referral_by = choice_array(enums.PERSONNE_MOBILISATRICE_CHOICES, verbose_name=_("who can refer"))
    referral_details = models.TextField(_("how to get referred: details"), blank=True)  # mobilisation_precisions
    referral_url = models.URLField(_("referral link"), blank=True, max_length=500)  # lien_mobilisation
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)  # contact_nom_prenom
    eligibility_zone = ArrayField(  # zone_eligibilite
        models.CharField(max_length=5),
        verbose_name=_("zone of eligibility"),
        default=list,
        blank=True,
        validators=[validate_zone_codes],
        help_text=_("INSEE codes of the communes, departments or regions served; empty means everywhere."),
    )
    languages = ArrayField(
        models.CharField(max_length=5, choices=enums.LANGUAGE_CHOICES),
        verbose_name=_("languages spoken"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )
    interpreters = models.BooleanField(_("interpreters available"), default=False)
    documents_to_bring = models.TextField(_("documents to bring"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    waiting_days = models.PositiveIntegerField(_("usual waiting time (days)"), null=True, blank=True)
    weekly_hours = models.FloatField(_("hours per week"), null=True, blank=True)  # volume_horaire_hebdomadaire
    weeks = models.PositiveIntegerField(_("number of weeks"), null=True, blank=True)  # nombre_semaines
    # French-language courses
    course_type = models.CharField(_("type of course"), max_length=20, choices=enums.CourseType.choices, blank=True)
    levels = ArrayField(
        models.CharField(max_length=4, choices=enums.FrenchLevel.choices),
        verbose_name=_("levels"),
        default=list,
        blank=True,
    )
    schedule = models.TextField(_("schedule"), blank=True)
    childcare = models.BooleanField(_("childcare during the course"), default=False)
    next_sessions = ArrayField(models.DateField(), verbose_name=_("next sessions"), default=list, blank=True)
    # Search: a French full-text vector (unaccented, stemmed) and a plain text for typos.
    search_vector = SearchVectorField(null=True, editable=False)
    search_text = models.TextField(default="", editable=False)

    objects = ConfirmableQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="service_source_id_unique")]
        indexes = [
            GinIndex(fields=["search_vector"], name="service_search_idx"),
            GinIndex(fields=["search_text"], name="service_trgm_idx", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["thematiques"], name="service_thematiques_idx"),
            models.Index(fields=["latitude", "longitude"], name="service_coords_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:service_detail", args=[self.pk])

    @property
    def effective_latitude(self) -> float | None:
        return self.latitude if self.latitude is not None else self.structure.latitude

    @property
    def effective_longitude(self) -> float | None:
        return self.longitude if self.longitude is not None else self.structure.longitude


class ServiceSearchIndex(models.Model):
    """What the public search of services reads: one narrow row per service.

    A copy, kept by PostgreSQL triggers (migration directory 0004), of the columns the
    search filters, ranks, counts and pages on, with the structure's part already applied:
    ``is_active`` is "the service and its structure are active", ``latitude``/``longitude``
    are the service's, else its structure's. The search reads a few thousand rows of this
    table for a common word (a quarter of ``directory_service``'s pages) and joins back to
    ``Service`` for the page only. The triggers follow every write to services (insert,
    update, delete, whatever the writer: forms, imports, ``generate_directory``, the admin,
    ``.update()``) and to the activity and coordinates of structures, so nothing in Python
    has to remember this table. Never write to it directly.
    """

    service = models.OneToOneField(
        Service,
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the trigger deletes the row with the service
        db_constraint=False,
        related_name="search_index",
    )
    structure = models.ForeignKey(Structure, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    is_active = models.BooleanField()
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    search_vector = SearchVectorField(null=True)
    name = models.CharField(max_length=250)
    kind = models.CharField(max_length=20)
    fees = models.CharField(max_length=20)
    thematiques = ArrayField(models.CharField(max_length=100), default=list)
    publics = ArrayField(models.CharField(max_length=100), default=list)
    languages = ArrayField(models.CharField(max_length=5), default=list)
    reception_modes = ArrayField(models.CharField(max_length=100), default=list)

    class Meta:
        indexes = [
            # GIN pending lists make bulk writes fast; bulk writers merge them at once
            # (indexing.merge_pending_lists) so searches do not read a long unsorted list.
            GinIndex(fields=["search_vector"], name="search_index_vector_idx"),
            GinIndex(fields=["thematiques"], name="search_index_themes_idx"),
            models.Index(fields=["latitude", "longitude"], name="search_index_coords_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SearchWord(models.Model):
    """The words of the services' ``search_text``, for the spelling corrections.

    Kept by the same trigger as ``ServiceSearchIndex``; words are added, never removed (a
    word no service has any more only adds an alternative that finds nothing).
    """

    word = models.TextField(primary_key=True)

    class Meta:
        indexes = [GinIndex(fields=["word"], name="search_word_trgm_idx", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word


class Referent(Confirmable):
    """A named person to call: departmental integration referent, Roma inclusion correspondent…

    Their contact details are shown only to logged-in professionals.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="referents"
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referents",
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=30, choices=enums.ReferentRole.choices)
    role_details = models.CharField(_("title"), max_length=200, blank=True)
    departments = models.ManyToManyField(
        "territory.Department", verbose_name=_("territory"), blank=True, related_name="referents"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = ArrayField(
        models.CharField(max_length=5, choices=enums.LANGUAGE_CHOICES),
        verbose_name=_("languages spoken"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )

    objects = ConfirmableQuerySet.as_manager()

    class Meta:
        verbose_name = _("referent")
        verbose_name_plural = _("referents")
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("directory:referent_list") + f"#referent-{self.pk}"


class Project(Confirmable):
    """A project or good practice, to be exchanged between territories (Alliance of cities)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("lead organisation"),
        on_delete=models.CASCADE,
        related_name="projects",
    )
    title = models.CharField(_("title"), max_length=250)
    goal = models.TextField(_("goal"))
    description = models.TextField(_("description"), blank=True)
    public = models.TextField(_("public"), blank=True)
    publics = choice_array(enums.PUBLIC_CHOICES, verbose_name=_("publics"))
    thematiques = choice_array(enums.THEMATIQUE_CHOICES, verbose_name=_("themes"))
    departments = models.ManyToManyField(
        "territory.Department", verbose_name=_("territory"), blank=True, related_name="projects"
    )
    partners = models.TextField(_("partners"), blank=True)
    funding = models.TextField(_("funding"), blank=True)
    results = models.TextField(_("results"), blank=True)
    evidence_level = models.CharField(
        _("level of evidence"),
        max_length=20,
        choices=enums.EvidenceLevel.choices,
        default=enums.EvidenceLevel.PROMISING,
    )
    start_year = models.PositiveIntegerField(_("start year"), null=True, blank=True)
    end_year = models.PositiveIntegerField(_("end year"), null=True, blank=True)
    documents = models.TextField(_("documents (one link per line)"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    objects = ConfirmableQuerySet.as_manager()

    class Meta:
        verbose_name = _("project or good practice")
        verbose_name_plural = _("projects and good practices")
        ordering = ["-start_year", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directory:project_detail", args=[self.pk])


class ImportJob(models.Model):
    """One upload of data·inclusion files, run in the background (``tasks.run_import_job``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # Names in the import storage (importers.import_storage) and the names the user uploaded.
    structures_file = models.CharField(_("structures file"), max_length=300, blank=True)
    structures_filename = models.CharField(_("structures file name"), max_length=255, blank=True)
    services_file = models.CharField(_("services file"), max_length=300, blank=True)
    services_filename = models.CharField(_("services file name"), max_length=255, blank=True)
    source = models.CharField(_("source override"), max_length=100, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("row errors (first ones)"), default=list, blank=True)
    warnings = models.JSONField(_("warnings (first ones)"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("directory:import_status", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
